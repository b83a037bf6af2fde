# cmake -DIN=<file> -DOUT=<header> -DNAME=<identifier> -P embed_text.cmake
# Writes the file's text as a C++ raw string constant, so a binary carries its data file.
file(READ ${IN} text)
file(WRITE ${OUT} "// Generated from ${IN}: do not edit.\ninline constexpr const char ${NAME}[] = R\"berth_embed(${text})berth_embed\";\n")
