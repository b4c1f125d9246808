#define G_LOG_DOMAIN "cmdb-test"

/* Log followers without processes: resumable byte reads and the view that
 * collapses progress updates and splits long lines. */

#include "test-util.h"
#include "run/cmdb-run-private.h"

#include <stdio.h>
#include <string.h>

typedef struct
{
  char *tmp;
  CmdbRun *run;
} LogFixture;

static int
setup (void **state)
{
  LogFixture *fixture = g_new0 (LogFixture, 1);
  g_autoptr (GError) error = NULL;
  g_autofree char *directory = NULL;

  fixture->tmp = cmdb_test_make_tempdir ();
  directory = g_build_filename (fixture->tmp, "run", NULL);
  g_mkdir_with_parents (directory, 0755);
  fixture->run = cmdb_run_new_record (directory, "run");
  assert_true (cmdb_run_save (fixture->run, &error));
  *state = fixture;
  return 0;
}

static int
teardown (void **state)
{
  LogFixture *fixture = *state;

  cmdb_run_unref (fixture->run);
  cmdb_test_remove_tree (fixture->tmp);
  g_free (fixture->tmp);
  g_free (fixture);
  return 0;
}

static void
append_log (CmdbRun *run, const char *text)
{
  g_autofree char *path = cmdb_run_get_log_path (run, CMDB_RUN_STREAM_STDOUT);
  FILE *file = fopen (path, "ab");

  assert_non_null (file);
  assert_int_equal (fwrite (text, 1, strlen (text), file), strlen (text));
  fclose (file);
}

/* A reader of a log that does not exist yet reads nothing, without error. */
static void
test_reader_before_log_exists (void **state)
{
  LogFixture *fixture = *state;
  g_autoptr (CmdbLogReader) reader = cmdb_log_reader_new (fixture->run, CMDB_RUN_STREAM_STDOUT, 0);
  g_autoptr (GError) error = NULL;
  guint8 buffer[8];

  assert_int_equal (cmdb_log_reader_read (reader, buffer, sizeof buffer, &error), 0);
  assert_null (error);
  assert_int_equal (cmdb_log_reader_get_offset (reader), 0);
}

/* Reads resume from a byte offset: a follower that reconnects with the
 * offset it reached misses nothing and repeats nothing. */
static void
test_reader_resumes_from_offset (void **state)
{
  LogFixture *fixture = *state;
  g_autoptr (CmdbLogReader) first = cmdb_log_reader_new (fixture->run, CMDB_RUN_STREAM_STDOUT, 0);
  g_autoptr (CmdbLogReader) second = NULL;
  g_autoptr (GError) error = NULL;
  guint8 buffer[4];
  GString *seen = g_string_new (NULL);
  gssize n;

  append_log (fixture->run, "0123456789");
  n = cmdb_log_reader_read (first, buffer, sizeof buffer, &error);
  assert_int_equal (n, 4);
  assert_memory_equal (buffer, "0123", 4);
  assert_int_equal (cmdb_log_reader_get_offset (first), 4);

  /* Reconnect at offset 4 while the log grows. */
  second = cmdb_log_reader_new (fixture->run, CMDB_RUN_STREAM_STDOUT,
                                cmdb_log_reader_get_offset (first));
  append_log (fixture->run, "abcdef");
  while ((n = cmdb_log_reader_read (second, buffer, sizeof buffer, &error)) > 0)
    g_string_append_len (seen, (char *) buffer, n);
  assert_int_equal (n, 0);
  assert_string_equal (seen->str, "456789abcdef");
  assert_int_equal (cmdb_log_reader_get_offset (second), 16);

  /* More bytes later: the same reader continues. */
  append_log (fixture->run, "XY");
  n = cmdb_log_reader_read (second, buffer, sizeof buffer, &error);
  assert_int_equal (n, 2);
  assert_memory_equal (buffer, "XY", 2);
  /* An offset past the end reads nothing. */
  {
    g_autoptr (CmdbLogReader) past
        = cmdb_log_reader_new (fixture->run, CMDB_RUN_STREAM_STDOUT, 1000);

    assert_int_equal (cmdb_log_reader_read (past, buffer, sizeof buffer, &error), 0);
  }
  g_string_free (seen, TRUE);
}

/* Feeds @input to a view (in chunks of @chunk bytes) and returns the lines
 * joined with '|', with the partial line finished. */
static char *
view_lines (const char *input, gsize chunk, gsize cap)
{
  g_autoptr (CmdbLogView) view = cmdb_log_view_new (cap);
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  gsize length = strlen (input);

  for (gsize at = 0; at < length; at += chunk)
    {
      cmdb_log_view_feed (view, input + at, MIN (chunk, length - at), lines);
      assert_true (cmdb_log_view_get_buffered (view) <= MAX (cap, 16));
    }
  cmdb_log_view_finish (view, lines);
  g_ptr_array_add (lines, NULL);
  return g_strjoinv ("|", (char **) lines->pdata);
}

/* tqdm-style updates collapse into the last state of the line, whatever
 * the chunking; "\r\n" is a line end. */
static void
test_view_collapses_carriage_returns (void **state)
{
  static const char *const input
      = "Epoch 1:  10%\rEpoch 1:  50%\rEpoch 1: 100%\nloss=0.5\r\nWarning: x\rdone\n";

  for (gsize chunk = 1; chunk <= strlen (input); chunk++)
    {
      g_autofree char *lines = view_lines (input, chunk, 1024);

      assert_string_equal (lines, "Epoch 1: 100%|loss=0.5|done");
    }
}

/* The partial line shows the progress bar as it is now. */
static void
test_view_partial_line (void **state)
{
  g_autoptr (CmdbLogView) view = cmdb_log_view_new (1024);
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *partial = NULL;
  g_autofree char *none = NULL;

  cmdb_log_view_feed (view, "a\n10%\r20%", 9, lines);
  assert_int_equal (lines->len, 1);
  assert_string_equal (g_ptr_array_index (lines, 0), "a");
  partial = cmdb_log_view_peek_partial (view);
  assert_string_equal (partial, "20%");
  cmdb_log_view_finish (view, lines);
  assert_int_equal (lines->len, 2);
  assert_string_equal (g_ptr_array_index (lines, 1), "20%");
  none = cmdb_log_view_peek_partial (view);
  assert_null (none);
}

/* Over-long lines are split at the cap, never inside a UTF-8 sequence;
 * invalid bytes become U+FFFD. */
static void
test_view_splits_long_lines (void **state)
{
  g_autofree char *plain = view_lines ("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", 7, 16);
  g_autofree char *utf8 = view_lines ("aaaaaaaaaaaaaaa\xc3\xa9z\n", 3, 16);
  g_autofree char *invalid = view_lines ("a\xff"
                                         "b\n",
                                         1, 16);

  assert_string_equal (plain, "xxxxxxxxxxxxxxxx|xxxxxxxxxxxxxxxx|xxxxxxxx");
  assert_string_equal (utf8, "aaaaaaaaaaaaaaa|\xc3\xa9z");
  assert_string_equal (invalid, "a\xef\xbf\xbd"
                                "b");
}

/* A run record survives a save/load round trip, and statuses map both ways. */
static void
test_record_round_trip (void **state)
{
  LogFixture *fixture = *state;
  const char *argv[] = { "python3", "train.py", "a=b c", NULL };
  g_autoptr (CmdbRun) loaded = NULL;
  g_autoptr (GError) error = NULL;
  CmdbRunStatus status;
  int exit_code = 0;

  cmdb_run_set_argv (fixture->run, argv);
  cmdb_run_set_status (fixture->run, CMDB_RUN_STATUS_FAILED);
  cmdb_run_set_int (fixture->run, "exit_code", 3);
  assert_true (cmdb_run_save (fixture->run, &error));
  loaded = cmdb_run_load_from_directory (cmdb_run_get_directory (fixture->run), &error);
  assert_non_null (loaded);
  assert_string_equal (cmdb_run_get_argv (loaded)[2], "a=b c");
  assert_null (cmdb_run_get_argv (loaded)[3]);
  assert_int_equal (cmdb_run_get_status (loaded), CMDB_RUN_STATUS_FAILED);
  assert_true (cmdb_run_get_exit_code (loaded, &exit_code));
  assert_int_equal (exit_code, 3);
  for (int i = CMDB_RUN_STATUS_STARTING; i <= CMDB_RUN_STATUS_LOST; i++)
    {
      assert_true (cmdb_run_status_from_string (cmdb_run_status_to_string (i), &status));
      assert_int_equal (status, i);
    }
  assert_false (cmdb_run_status_from_string ("finished", &status));
}

/* A directory without a record, and a record that is not one. */
static void
test_record_errors (void **state)
{
  LogFixture *fixture = *state;
  g_autoptr (GError) missing = NULL;
  g_autoptr (GError) invalid = NULL;
  g_autofree char *empty = g_build_filename (fixture->tmp, "empty", NULL);
  g_autofree char *bad = g_build_filename (fixture->tmp, "bad", NULL);

  g_mkdir_with_parents (empty, 0755);
  assert_null (cmdb_run_load_from_directory (empty, &missing));
  assert_true (g_error_matches (missing, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_FOUND));
  g_free (cmdb_test_write_file (bad, "run.json", "[1, 2]"));
  assert_null (cmdb_run_load_from_directory (bad, &invalid));
  assert_true (g_error_matches (invalid, CMDB_RUN_ERROR, CMDB_RUN_ERROR_INVALID));
  assert_true (g_str_has_suffix (invalid->message,
                                 "run.json: not a readable run record: expected a JSON object"));
  g_clear_error (&invalid);
  /* An object, but not a record. */
  g_free (cmdb_test_write_file (bad, "run.json", "{\"version\": 1}"));
  assert_null (cmdb_run_load_from_directory (bad, &invalid));
  assert_true (g_error_matches (invalid, CMDB_RUN_ERROR, CMDB_RUN_ERROR_INVALID));
  assert_true (g_str_has_suffix (
      invalid->message, "run.json: not a run record (an object with \"id\" and \"status\")"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_reader_before_log_exists, setup, teardown),
    cmocka_unit_test_setup_teardown (test_reader_resumes_from_offset, setup, teardown),
    cmocka_unit_test (test_view_collapses_carriage_returns),
    cmocka_unit_test (test_view_partial_line),
    cmocka_unit_test (test_view_splits_long_lines),
    cmocka_unit_test_setup_teardown (test_record_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown (test_record_errors, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
