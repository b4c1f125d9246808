#pragma once

/* A copy of the demo workspace in a temporary directory, with the
 * environment isolated, for the tests that run the real cmdbuilder on it. */

#include "test-util.h"

typedef struct
{
  char *tmpdir;
  char *workspace;  /* tmpdir/ws: the copy of examples/ocr-workspace */
  char *cmdbuilder; /* the build tree's executable */
} DemoFixture;

/* cmocka setup and teardown: *state is the DemoFixture. */
int demo_fixture_setup (void **state);
int demo_fixture_teardown (void **state);
