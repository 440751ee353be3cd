"""`python bench/http.py`: the load benchmark, pages under wrk against a bare Flask app.

The benchmark itself is bench/pages_under_load.py (its docstring says what it measures and how);
this file keeps the name the issue gave it. A file named http.py in bench/ is found by every other
script here when it (or Flask, werkzeug, urllib) imports the standard library's `http`, since a
script's folder comes first on the path: imported under that name, this file hands over to the
standard library's package (the import then returns it: a module may replace itself in
sys.modules) and does nothing else.
"""

import importlib
import os
import runpy
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

if __name__ == "http":
    del sys.modules["http"]
    sys.modules["http"] = importlib.import_module("http")
elif __name__ == "__main__":
    runpy.run_path(os.path.join(_HERE, "pages_under_load.py"), run_name="__main__")
