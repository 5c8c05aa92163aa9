"""Search facade (placeholder by the lead until the search helper replaces this file)."""


def index_version(version, path):  # replaced by the real facade
    return None


def remove(version_id):
    return None
