#!/bin/sh
# Rebuilds the fonts of the PDF from Debian's fonts-noto-core (Noto 2.x,
# OFL-1.1) with fontTools' pyftsubset (Debian: python3-fonttools). Keeps the
# shaping tables (GSUB/GPOS: Arabic joining forms, kerning, accents) and
# drops what a PDF never uses (TrueType hinting, other scripts), so the
# four files weigh a few hundred KB instead of 1.5 MB. krilla subsets again
# to the glyphs a document uses when it embeds them.
set -eu
src=${NOTO:-/usr/share/fonts/truetype/noto}
here=$(dirname "$0")
subset="/usr/bin/python3 -m fontTools.subset"
# Latin with every accent French and the Maghreb's transliterations use,
# punctuation, currency signs (€, MAD's د.م. is Arabic), ™ №, arrows and the
# maths signs a statement may quote.
latin='U+0000-024F,U+02B0-02FF,U+0300-036F,U+1E00-1EFF,U+2000-206F,U+20A0-20CF,U+2100-214F,U+2190-21FF,U+2200-22FF,U+25CC,U+FB00-FB06,U+FEFF,U+FFFD'
# Arabic and its supplement (ݣ, written for Moroccan /g/), presentation
# forms (text pasted from older PDFs), the joiners and direction marks.
arabic='U+0000-007F,U+00A0,U+0600-06FF,U+0750-077F,U+200C-200F,U+2010-2011,U+25CC,U+FB50-FDFF,U+FE70-FEFF'
for face in Regular Bold; do
  $subset "$src/NotoSans-$face.ttf" --unicodes="$latin" \
    --layout-features='*' --no-hinting \
    --output-file="$here/NotoSans-$face.ttf"
  $subset "$src/NotoSansArabic-$face.ttf" --unicodes="$arabic" \
    --layout-features='*' --no-hinting \
    --output-file="$here/NotoSansArabic-$face.ttf"
done
