# Checks a PNG's width and height, read from its IHDR chunk (bytes 16-23, big-endian).
#   cmake -DPNG=file.png -DWIDTH=w -DHEIGHT=h -P check_png_size.cmake
file(READ ${PNG} header LIMIT 24 HEX)
string(SUBSTRING "${header}" 32 8 width_hex)
string(SUBSTRING "${header}" 40 8 height_hex)
math(EXPR width "0x${width_hex}")
math(EXPR height "0x${height_hex}")
if(NOT width EQUAL WIDTH OR NOT height EQUAL HEIGHT)
  message(FATAL_ERROR "${PNG} is ${width}x${height}, expected ${WIDTH}x${HEIGHT}")
endif()
