/* run-fixture.h: what the run tests share: a workspace in a temporary
 * directory, a run store whose supervisor is the built cmdbuilder, helper
 * scripts, and a teardown that kills by pid whatever a test left running
 * (also when the test failed). */
#pragma once

#include "test-util.h"

typedef struct
{
  char *tmp;
  char *workspace;
  CmdbTestSession *session;
  CmdbRunStore *store;
  GArray *spawned; /* (element-type GPid) processes a test started itself */
} RunFixture;

/* (transfer full): @config_text (nullable) is an extra configuration layer. */
RunFixture *run_fixture_new (const char *config_text);
/* Kills every supervisor, process group and recorded pid left, then
 * removes the temporary directory. */
void run_fixture_free (RunFixture *fixture);
/* (transfer full): writes @contents to <tmp>/@name and returns its path. */
char *run_fixture_write_script (RunFixture *fixture, const char *name, const char *contents);
/* Creates and starts a run of @argv; fails the test when the store fails.
 * (transfer full) */
CmdbRun *run_fixture_start (RunFixture *fixture, const char *page, const char *const *argv);
/* Waits (at most 60 s, else fails) until @stream's log holds @needle. */
void run_fixture_wait_for_log (CmdbRun *run, CmdbRunStream stream, const char *needle);
/* Waits (at most 60 s, else fails) until the run is final. (transfer full) */
CmdbRun *run_fixture_wait (RunFixture *fixture, CmdbRun *run);
/* (transfer full): the whole log of @stream; @ret_length its length. */
char *run_fixture_read_log (CmdbRun *run, CmdbRunStream stream, gsize *ret_length);
/* Waits (at most 30 s) until no process has the fixture's temporary
 * directory in its command line (the supervisor and the helper scripts
 * all do), then returns how many still do. */
guint run_fixture_count_survivors (RunFixture *fixture);
/* TRUE while @pid is a live (not zombie) process. */
gboolean run_fixture_process_alive (GPid pid);
/* Remembers @pid, killed by the teardown if still there. */
void run_fixture_track (RunFixture *fixture, GPid pid);
