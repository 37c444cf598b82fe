import warnings

__version__ = "0.1.0"

# Saved pages may be XHTML that opens with `<?xml ...?>`; reading them as HTML is intended (a
# newsletter page is HTML whatever its prologue says), so bs4's advice to use an XML parser is noise.
# Filtered by its text, not its class, so that importing the package does not import bs4 (a
# command such as --help needs none of it).
warnings.filterwarnings("ignore", message="It looks like you're using an HTML parser to parse an XML document")
