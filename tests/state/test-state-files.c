#define G_LOG_DOMAIN "cmdb-test"

/* The state directory's building blocks, in a temporary directory: the
 * .gitignore, reading every earlier format and migrating it, leaving a
 * newer one untouched (and saying so once), atomic versioned writes, what
 * `check` reports, and moving paths of a relocated workspace. */

#include "test-util.h"
#include "state/cmdb-state-private.h"

#include <string.h>

typedef struct
{
  char *tmp;
} Fixture;

static int
setup (void **state)
{
  Fixture *fixture = g_new0 (Fixture, 1);

  fixture->tmp = cmdb_test_make_tempdir ();
  *state = fixture;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *fixture = *state;

  cmdb_test_remove_tree (fixture->tmp);
  g_free (fixture->tmp);
  g_free (fixture);
  return 0;
}

static void
test_state_dir_gets_gitignore (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *dir = g_build_filename (fixture->tmp, "ws", ".cmdbuilder", NULL);
  g_autofree char *gitignore = g_build_filename (dir, ".gitignore", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *runs = cmdb_state_dir_ensure (dir, "runs", 0755, &error);
  g_autofree char *text = NULL;
  g_autofree char *pages = NULL;

  assert_non_null (runs);
  assert_true (g_file_test (runs, G_FILE_TEST_IS_DIR));
  text = cmdb_test_read_file (gitignore);
  /* One pattern line, "*": git ignores everything there, itself included. */
  assert_non_null (strstr (text, "\n*\n"));
  /* A .gitignore the user changed is theirs. */
  g_free (cmdb_test_write_file (dir, ".gitignore", "runs/\n"));
  pages = cmdb_state_dir_ensure (dir, "ui/pages", 0700, &error);
  assert_non_null (pages);
  assert_true (g_file_test (pages, G_FILE_TEST_IS_DIR));
  g_free (text);
  text = cmdb_test_read_file (gitignore);
  assert_string_equal (text, "runs/\n");
}

static void
test_state_dir_error_names_path (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *file = cmdb_test_write_file (fixture->tmp, "plain", "x");
  g_autoptr (GError) error = NULL;

  assert_null (cmdb_state_dir_ensure (file, "runs", 0755, &error));
  assert_true (g_error_matches (error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_FAILED));
  assert_non_null (strstr (error->message, file));
}

static JsonObject *
load (CmdbStateKind kind, const char *path, guint *ret_version, GError **error)
{
  return cmdb_state_file_load (kind, path, ret_version, error);
}

static const char *
string_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_string (node) : NULL;
}

static void
test_migrates_earlier_formats (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *run = cmdb_test_write_file (
      fixture->tmp, "run.json",
      "{\"version\": 1, \"id\": \"r\", \"status\": \"succeeded\", \"cwd\": \"/old/ws\"}");
  g_autofree char *page = cmdb_test_write_file (fixture->tmp, "train.json",
                                                "{\"page\": \"train\", \"values\": {\"seed\": 7}}");
  g_autofree char *server
      = cmdb_test_write_file (fixture->tmp, "server.json", "{\"last_page\": \"test\"}");
  g_autofree char *before = cmdb_test_read_file (run);
  g_autofree char *after = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = NULL;
  guint version = 0;

  object = load (CMDB_STATE_RUN_RECORD, run, &version, &error);
  assert_non_null (object);
  assert_int_equal (version, 1);
  assert_int_equal (json_object_get_int_member (object, "version"), 2);
  /* Format 1 ran in the workspace root: that is its workspace. */
  assert_string_equal (string_member (object, "workspace"), "/old/ws");
  assert_string_equal (string_member (object, "cwd"), "/old/ws");
  /* Reading never writes. */
  after = cmdb_test_read_file (run);
  assert_string_equal (after, before);
  g_clear_pointer (&object, json_object_unref);

  /* The release's page and server files carry no version: format 1. */
  object = load (CMDB_STATE_PAGE_STATE, page, &version, &error);
  assert_non_null (object);
  assert_int_equal (version, 1);
  assert_int_equal (json_object_get_int_member (object, "version"), 2);
  assert_true (json_object_has_member (object, "workspace"));
  assert_true (json_node_is_null (json_object_get_member (object, "workspace")));
  g_clear_pointer (&object, json_object_unref);
  object = load (CMDB_STATE_SERVER_STATE, server, &version, &error);
  assert_non_null (object);
  assert_int_equal (version, 1);
  assert_string_equal (string_member (object, "last_page"), "test");
}

static void
test_newer_format_left_untouched (void **state)
{
  Fixture *fixture = *state;
  const char *text = "{\"version\": 99, \"id\": \"r\", \"status\": \"succeeded\", \"new\": [1]}";
  g_autofree char *path = cmdb_test_write_file (fixture->tmp, "run.json", text);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) replacement = json_object_new ();
  g_autofree char *after = NULL;

  assert_null (load (CMDB_STATE_RUN_RECORD, path, NULL, &error));
  assert_true (g_error_matches (error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_NEWER));
  assert_true (g_str_has_prefix (error->message, path));
  assert_non_null (strstr (error->message, "format version 99"));
  assert_non_null (strstr (error->message, "up to 2"));
  assert_non_null (strstr (error->message, "left untouched"));
  g_clear_error (&error);
  /* No write of this build replaces it. */
  json_object_set_string_member (replacement, "id", "r");
  assert_false (cmdb_state_file_save (CMDB_STATE_RUN_RECORD, path, replacement, &error));
  assert_true (g_error_matches (error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_NEWER));
  after = cmdb_test_read_file (path);
  assert_string_equal (after, text);
}

static void
test_unreadable_files (void **state)
{
  Fixture *fixture = *state;
  const char *const bad[] = { "{\"version\": 1,", "[1]", "{\"version\": \"2\"}", "{\"version\": 0}",
                              "{\"version\": 1.5}" };
  g_autofree char *missing = g_build_filename (fixture->tmp, "none.json", NULL);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *path = cmdb_test_write_file (fixture->tmp, "x.json", bad[i]);

      assert_null (load (CMDB_STATE_PAGE_STATE, path, NULL, &error));
      if (!g_error_matches (error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_UNREADABLE))
        {
          print_error ("%s: %s\n", bad[i], error->message);
          fail ();
        }
      assert_true (g_str_has_prefix (error->message, path));
      g_clear_error (&error);
    }
  assert_null (load (CMDB_STATE_PAGE_STATE, missing, NULL, &error));
  assert_true (g_error_matches (error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_NOT_FOUND));
}

static void
test_save_writes_current_version_atomically (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path
      = cmdb_test_write_file (fixture->tmp, "d/server.json", "{\"last_page\": \"a\"}");
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) again = NULL;
  g_autoptr (GDir) listing = NULL;
  guint version = 0;
  guint n_files = 0;

  json_object_set_string_member (object, "last_page", "b");
  assert_true (cmdb_state_file_save (CMDB_STATE_SERVER_STATE, path, object, &error));
  again = load (CMDB_STATE_SERVER_STATE, path, &version, &error);
  assert_non_null (again);
  assert_int_equal (version, cmdb_state_format_version (CMDB_STATE_SERVER_STATE));
  assert_string_equal (string_member (again, "last_page"), "b");
  /* The temporary file was renamed over the old one: nothing else left. */
  listing = g_dir_open (dir, 0, NULL);
  while (g_dir_read_name (listing) != NULL)
    n_files++;
  assert_int_equal (n_files, 1);
}

static GPtrArray *reported_messages;

static void
record_report (const char *message)
{
  g_ptr_array_add (reported_messages, g_strdup (message));
}

static void
test_report_once (void **state)
{
  g_autoptr (GError) one
      = g_error_new_literal (CMDB_STATE_ERROR, CMDB_STATE_ERROR_NEWER, "a: newer");
  g_autoptr (GError) two
      = g_error_new_literal (CMDB_STATE_ERROR, CMDB_STATE_ERROR_NEWER, "b: newer");

  reported_messages = g_ptr_array_new_with_free_func (g_free);
  cmdb_state_set_reporter (record_report);
  for (guint i = 0; i < 5; i++)
    {
      cmdb_state_report (one);
      cmdb_state_report (two);
    }
  cmdb_state_set_reporter (NULL);
  assert_int_equal (reported_messages->len, 2);
  assert_string_equal (g_ptr_array_index (reported_messages, 0), "a: newer");
  assert_string_equal (g_ptr_array_index (reported_messages, 1), "b: newer");
  g_clear_pointer (&reported_messages, g_ptr_array_unref);
}

static void
test_check_names_files (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *dir = g_build_filename (fixture->tmp, "state", NULL);
  g_autofree char *good = cmdb_test_write_file (
      dir, "runs/a/run.json", "{\"version\": 1, \"id\": \"a\", \"status\": \"failed\"}");
  g_autofree char *newer = cmdb_test_write_file (
      dir, "runs/b/run.json", "{\"version\": 99, \"id\": \"b\", \"status\": \"failed\"}");
  g_autofree char *broken = cmdb_test_write_file (dir, "ui/pages/train.json", "{\"page\": ");
  g_autofree char *fine = cmdb_test_write_file (dir, "ui/pages/test.json", "{\"page\": \"test\"}");
  g_autofree char *server = cmdb_test_write_file (dir, "ui/server.json", "{\"version\": 7}");
  g_autoptr (GPtrArray) problems = cmdb_state_check (dir);
  CmdbProblem *problem;

  assert_int_equal (problems->len, 3);
  problem = g_ptr_array_index (problems, 0);
  assert_string_equal (problem->path, newer);
  assert_int_equal (problem->severity, CMDB_SEVERITY_WARNING);
  assert_non_null (strstr (problem->message, "format version 99"));
  problem = g_ptr_array_index (problems, 1);
  assert_string_equal (problem->path, broken);
  assert_int_equal (problem->severity, CMDB_SEVERITY_ERROR);
  assert_non_null (strstr (problem->message, "not a readable page state"));
  problem = g_ptr_array_index (problems, 2);
  assert_string_equal (problem->path, server);
  assert_int_equal (problem->severity, CMDB_SEVERITY_WARNING);
}

static void
test_relocate_words (void **state)
{
  const char *const cases[][2] = {
    { "/old/ws", "/new/place" },
    { "/old/ws/runners/train.py", "/new/place/runners/train.py" },
    { "resume=/old/ws/outputs/a.ckpt", "resume=/new/place/outputs/a.ckpt" },
    { "checkpoint_path=\"/old/ws/o/e=2.ckpt\"", "checkpoint_path=\"/new/place/o/e=2.ckpt\"" },
    { "+x='/old/ws'", "+x='/new/place'" },
    /* Not under the old root: unchanged. */
    { "/old/wsx/train.py", NULL },
    { "/other/old/ws/train.py", NULL },
    { "python3", NULL },
    { "exp_name=run1", NULL },
    { "a=b=/old/ws/x", NULL },
  };
  g_autofree char *text = NULL;
  g_autoptr (JsonObject) values = json_object_new ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *moved = cmdb_state_relocate_word (cases[i][0], "/old/ws", "/new/place");

      if (g_strcmp0 (moved, cases[i][1]) != 0)
        {
          print_error ("%s: got %s, expected %s\n", cases[i][0], moved ? moved : "(unchanged)",
                       cases[i][1] ? cases[i][1] : "(unchanged)");
          fail ();
        }
    }
  /* A trailing slash on the old root changes nothing; "/" moves nothing. */
  {
    g_autofree char *moved = cmdb_state_relocate_word ("/old/ws/a", "/old/ws/", "/n");
    assert_string_equal (moved, "/n/a");
    assert_null (cmdb_state_relocate_word ("/etc/passwd", "/", "/n"));
  }
  /* Texts split into words, move, and join with the shell's quoting. */
  text = cmdb_state_relocate_text ("python3 /old/ws/r.py 'a=x y' resume=/old/ws/c", "/old/ws",
                                   "/new dir");
  assert_string_equal (text, "python3 '/new dir/r.py' 'a=x y' 'resume=/new dir/c'");
  g_free (text);
  text = cmdb_state_relocate_text ("python3 r.py seed=1", "/old/ws", "/new");
  assert_string_equal (text, "python3 r.py seed=1");
  json_object_set_string_member (values, "resume", "/old/ws/outputs/x.ckpt");
  json_object_set_int_member (values, "seed", 7);
  json_object_set_string_member (values, "exp_name", "old");
  cmdb_state_relocate_values (values, "/old/ws", "/new");
  assert_string_equal (json_object_get_string_member (values, "resume"), "/new/outputs/x.ckpt");
  assert_int_equal (json_object_get_int_member (values, "seed"), 7);
  assert_string_equal (json_object_get_string_member (values, "exp_name"), "old");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_state_dir_gets_gitignore, setup, teardown),
    cmocka_unit_test_setup_teardown (test_state_dir_error_names_path, setup, teardown),
    cmocka_unit_test_setup_teardown (test_migrates_earlier_formats, setup, teardown),
    cmocka_unit_test_setup_teardown (test_newer_format_left_untouched, setup, teardown),
    cmocka_unit_test_setup_teardown (test_unreadable_files, setup, teardown),
    cmocka_unit_test_setup_teardown (test_save_writes_current_version_atomically, setup, teardown),
    cmocka_unit_test (test_report_once),
    cmocka_unit_test_setup_teardown (test_check_names_files, setup, teardown),
    cmocka_unit_test (test_relocate_words),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
