"""Miraflow: a typed Python toolkit for the Miraflow Photo Avatar API.

`miraflow.spec` holds the packaged contract (openapi.yaml) and the job lifecycle it declares; the generated, raw client
is the separate `miraflow_client` package.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("miraflow")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
