# Do not edit: generated from packages/uapi/spec/kchan.yaml by packages/uapi/scripts/gen.mjs (mode: py)
# SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
"""Build the kchan-uapi wheel: metadata is in pyproject.toml; this adds the version and
the _order helper (acquire/release loads and stores, called through ctypes by
kchan_uapi.client; it does not include Python.h and is never imported)."""

import json
import os
import re

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def version():
    package_json = os.path.join(HERE, "..", "package.json")
    if os.path.exists(package_json):
        with open(package_json, encoding="utf-8") as f:
            return json.load(f)["version"]
    with open(os.path.join(HERE, "PKG-INFO"), encoding="utf-8") as f:
        return re.search(r"^Version: (\S+)$", f.read(), re.M).group(1)


setup(
    version=version(),
    ext_modules=[Extension("kchan_uapi._order", ["kchan_uapi/_order.c"], extra_compile_args=["-O2"])],
)
