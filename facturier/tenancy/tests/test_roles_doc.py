"""docs/roles.md shows the role × permission matrix and the plan limits: regenerate them from the code
and compare, so the documentation cannot drift from what the application enforces.

When a test fails, replace the table between the markers in docs/roles.md with the one printed.
"""

import re
from pathlib import Path

from django.conf import settings
from django.utils import translation

from facturier.tenancy import permissions, plans

DOC = Path(settings.BASE_DIR) / "docs" / "roles.md"


def matrix_table() -> str:
    """The Markdown table: one row per permission of the catalogue, one column per built-in role."""
    roles = list(permissions.BUILTIN_ROLE_LABELS)
    with translation.override(None):  # the source (French) labels, whatever translations exist
        header = ["Group", "Permission", "Code"] + [
            f"{permissions.BUILTIN_ROLE_LABELS[role]} (`{role}`)" for role in roles
        ]
        lines = ["| " + " | ".join(header) + " |", "|---|---|---|" + ":-:|" * len(roles)]
        for group, perms in permissions.grouped_catalogue():
            for p in perms:
                marks = [
                    "✓" if p.code in permissions.BUILTIN_ROLE_PERMISSIONS[role] else "—" for role in roles
                ]
                lines.append(f"| {group} | {p.label} | `{p.code}` | " + " | ".join(marks) + " |")
    return "\n".join(lines)


def plans_table() -> str:
    with translation.override(None):
        lines = ["| Plan | Code | Users (firm staff not counted) | Firm module |", "|---|---|---|---|"]
        for plan in plans.PLANS.values():
            users = "unlimited" if plan.max_users is None else str(plan.max_users)
            firm = "yes" if plan.allows_firm_module else "no"
            lines.append(f"| {plan.label} | `{plan.code}` | {users} | {firm} |")
    return "\n".join(lines)


def section(name: str) -> str:
    """The text between `<!-- name:begin ... -->` and `<!-- name:end -->` in docs/roles.md."""
    text = DOC.read_text(encoding="utf-8")
    found = re.search(rf"<!-- {name}:begin[^>]*-->\n(.*?)\n<!-- {name}:end -->", text, re.DOTALL)
    assert found, f"docs/roles.md lacks the markers <!-- {name}:begin --> … <!-- {name}:end -->"
    return found.group(1)


def test_the_documented_role_matrix_is_the_one_the_code_enforces():
    expected = matrix_table()
    assert section("roles-matrix") == expected, f"Update docs/roles.md with:\n{expected}"


def test_the_documented_plan_limits_are_the_ones_the_code_enforces():
    expected = plans_table()
    assert section("plans") == expected, f"Update docs/roles.md with:\n{expected}"


def test_the_matrix_covers_every_permission_of_the_catalogue():
    # Guards the generator itself: a permission missing from the grouping would vanish from the doc.
    codes = re.findall(r"\| `([a-z]+\.[a-z]+)` \|", matrix_table())
    assert sorted(codes) == sorted(permissions.CODES)
