/*  kf_json_private — what kf_json's two files share (not for other
    modules): the growing text buffer both write into.

      kf_json.c         the buffer, and encoding a message
      kf_json_decode.c  decoding: a strict parser driven by the descriptors
*/
#ifndef KF_JSON_PRIVATE_H_INCLUDED
#define KF_JSON_PRIVATE_H_INCLUDED

#include "kf_json.h"
#include "kf_codec.h"
#include "kf_field.h"
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    char *data;
    size_t len, cap;
    bool oom;
} kf_json_buf_t;

void kf_json_put (kf_json_buf_t *b, const char *data, size_t len);

#endif
