#!/usr/bin/env bash
# Makes NotoSansSC-subset.otf, the font of /stats' PNG chart: Noto Sans CJK SC (SIL Open Font
# License 1.1, see OFL.txt) cut down to printable ASCII and the characters of the chart's
# labels in every language (chart-labels.txt, which a test of agent-chatops keeps current:
# `UPDATE_CHART_LABELS=1 cargo test -p agent-chatops chart` rewrites it when labels change).
#
# Needs Debian's fonts-noto-cjk and fonttools:
#   apt-get install -y fonts-noto-cjk && pip install fonttools
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source_font="${NOTO_CJK_TTC:-/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc}"
# In the collection: 0 JP, 1 KR, 2 SC, 3 TC, 4 HK.
pyftsubset "$source_font" \
  --font-number=2 \
  --unicodes='U+0020-007E' \
  --text-file="$here/chart-labels.txt" \
  --layout-features='' \
  --no-hinting \
  --desubroutinize \
  --name-IDs='*' \
  --output-file="$here/NotoSansSC-subset.otf"
ls -l "$here/NotoSansSC-subset.otf"
