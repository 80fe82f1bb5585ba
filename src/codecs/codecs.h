#pragma once
// Umbrella header for pictor_codecs: image formats, encode/decode, base64, file I/O.
#include "codecs/base64.h"
#include "codecs/file_io.h"
#include "codecs/image_codec.h"
#include "codecs/image_format.h"
