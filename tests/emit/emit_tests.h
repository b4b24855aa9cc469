/* emit_tests.h: what the files of tests/emit share. */
#ifndef TC_TESTS_EMIT_H
#define TC_TESTS_EMIT_H

typedef struct emit_program {
  const char *name; /* the module name; the DSL file is NAME.lua */
  const char *src;
} emit_program;

/* Programs covering every op; ends with {NULL, NULL}. */
extern const emit_program emit_programs[];

/* math_test.c: the f32 math helpers, their accuracy and vectorization. */
#include <check.h>
TCase *emit_math_tcase(void);
/* vmath_test.c: the vector math of the intrinsics targets (emit/vmath.c). */
TCase *emit_vmath_tcase(void);
/* schedule_test.c: the loops written for schedule() hints. */
TCase *emit_schedule_tcase(void);

#endif
