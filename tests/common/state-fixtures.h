/* state-fixtures.h: the state directories earlier builds wrote
 * (tests/fixtures/state-<date>/), one per set of formats, and what each
 * holds. Tests read each of them with the current build (docs/runs.md,
 * "State files and compatibility"). */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib.h>

/* Which run of a fixture: every fixture has the same three. */
enum
{
  CMDB_FIXTURE_RUN_STOPPED,   /* the Test page's run, stopped: exit 143 */
  CMDB_FIXTURE_RUN_FAILED,    /* Train, edited with simulate.fail=true: exit 1 */
  CMDB_FIXTURE_RUN_SUCCEEDED, /* Train's last_run: exit 0 */
  CMDB_FIXTURE_N_RUNS,
};

typedef struct
{
  const char *id;
  const char *page;
  const char *status;
  int exit_code;
  const char *runner; /* relative to the workspace */
} CmdbTestFixtureRun;

typedef struct
{
  const char *name;          /* tests/fixtures/<name> */
  const char *old_workspace; /* where it was written: its records name this place */
  CmdbTestFixtureRun runs[CMDB_FIXTURE_N_RUNS]; /* newest first */
} CmdbTestStateFixture;

/* Every fixture, oldest formats first. */
extern const CmdbTestStateFixture cmdb_test_state_fixtures[];
extern const guint cmdb_test_n_state_fixtures;

/* (transfer full): the JSON text @text with its "version" made 99 (added
 * first in the object when it has none): a file a newer build wrote. */
char *cmdb_test_make_newer_format (const char *text);

/* Runs every test of @each (@n_tests) once per fixture, as group @group:
 * each test named "<fixture>/<test>", its initial state the
 * CmdbTestStateFixture (its setup reads *state). Returns cmocka's status. */
int cmdb_test_run_per_state_fixture (const char *group, const struct CMUnitTest *each,
                                     gsize n_tests);
