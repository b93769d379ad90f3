#!/usr/bin/env bash
# Checks the links between the project's Markdown files: every relative link and image in
# the README and docs/ (every .md file git tracks or would track) must name a file that
# exists, and every #anchor a heading of that file, spelled as GitHub spells its anchors.
# Links to other sites are not fetched. Prints each broken link and `N links, M broken`;
# exits 1 when one is broken.
#
# Needs python3 (and git): when one is missing it prints the command that installs it and
# exits 3. It writes nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source "$ROOT/scripts/lib/require.sh"
require_command python3 "$(require_apt python3)"
require_command git "$(require_apt git)"
require_done

git ls-files --cached --others --exclude-standard -- '*.md' | python3 -c '
import re, sys
from pathlib import Path

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")

def prose(path):
    """The lines of a Markdown file outside fenced code blocks, with their numbers."""
    fenced = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line

def anchors(path, cache={}):
    """The anchors GitHub gives the headings of a Markdown file."""
    if path not in cache:
        seen, found = {}, set()
        for _, line in prose(path):
            match = HEADING.match(line)
            if not match:
                continue
            text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match.group(2))
            slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            found.add(slug if count == 0 else f"{slug}-{count}")
        cache[path] = found
    return cache[path]

links = broken = 0
for name in sys.stdin.read().split():
    source = Path(name)
    for number, line in prose(source):
        for target in LINK.findall(re.sub(r"`[^`]*`", "", line)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                continue  # another site, or mailto:
            links += 1
            file_part, _, anchor = target.partition("#")
            path = (source.parent / file_part).resolve() if file_part else source.resolve()
            problem = None
            if not path.exists():
                problem = "no such file"
            elif anchor and path.suffix == ".md" and anchor not in anchors(path):
                problem = f"no heading #{anchor}"
            if problem:
                broken += 1
                print(f"{source}:{number}: {target}: {problem}")
print(f"{links} links, {broken} broken")
sys.exit(1 if broken else 0)
'
