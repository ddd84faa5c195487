// Writes a folder of pictures for the images task's end-to-end tests:
//   make_image_folder DIR N [messy]
// N small colour pictures in two class folders (a bright rectangle at a position of its own on a
// dark background, one colour per class) and, with "messy", every case of the image-folder
// fixture beside them: each format and channel layout, bad files, a symlink loop.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../unit/image_fixtures.h"

int main(int argc, char** argv) {
  using namespace gantrain::test_images;
  if (argc < 3 || (argc == 4 && std::string(argv[3]) != "messy") || argc > 4) {
    std::fprintf(stderr, "usage: make_image_folder DIR N [messy]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const int n = std::atoi(argv[2]);
  try {
    if (argc == 4) write_messy_folder(dir);
    for (int i = 0; i < n; ++i) {
      const bool second = i % 2 == 1;
      Picture p = solid(24, 20, 3, {20, 20, 30, 255});
      const int x = (i * 7) % 14, y = (i * 5) % 10;
      fill(p, x, y, x + 10, y + 10, second ? Colour{40, 90, 230, 255} : Colour{230, 180, 30, 255});
      write_file(dir + (second ? "/train-b/" : "/train-a/") + std::to_string(i) + ".png", png_bytes(p));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_image_folder: %s\n", e.what());
    return 1;
  }
  return 0;
}
