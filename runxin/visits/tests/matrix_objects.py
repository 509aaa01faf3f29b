"""Records of this app for the access matrix (access/tests/test_access_matrix.py): one per relation, seen from
the matrix's person at 东区第一中学 七年级(1)班. build(w) returns {url parameter name: {relation: pk}}; w is the
matrix world (w.student[relation], w.warning[relation], w.psych, w.leader, w.hospital, ...)."""


def build(w) -> dict[str, dict[str, int]]:
    return {}
