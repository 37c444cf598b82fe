import warnings

from bs4 import XMLParsedAsHTMLWarning

__version__ = "0.1.0"

# Saved pages may be XHTML that opens with `<?xml ...?>`; reading them as HTML is intended (a
# newsletter page is HTML whatever its prologue says), so bs4's advice to use an XML parser is noise.
warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning)
