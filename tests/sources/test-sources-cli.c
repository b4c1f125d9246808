/* `cmdbuilder options` as a subprocess on a copy of the demo workspace. */
#define G_LOG_DOMAIN "cmdb-test"

#include "test-util.h"

#include <string.h>

/* Runs `cmdbuilder options ARGS... --workspace WS`. */
static char *
run_options (CmdbTestDemo *fixture, const char *args, char **ret_stderr, int *ret_status)
{
  g_autofree char *words = g_strconcat ("options ", args, NULL);
  g_auto (GStrv) argv = g_strsplit (words, " ", -1);

  return cmdb_test_run_cmdbuilder ((const char *const *) argv, fixture->workspace, ret_stderr,
                                   ret_status);
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  if (!json_parser_load_from_data (parser, text, -1, &error))
    {
      print_error ("not JSON (%s): %s\n", error->message, text);
      fail ();
    }
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_checkpoints_json_sees_new_file (void **state)
{
  CmdbTestDemo *fixture = *state;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (JsonObject) before = NULL;
  g_autoptr (JsonObject) after = NULL;
  g_autofree char *path = NULL;
  JsonArray *entries;
  JsonObject *first;
  int status = -1;

  out = run_options (fixture, "checkpoints --json", &err, &status);
  assert_int_equal (status, 0);
  assert_string_equal (err, "");
  before = parse_object (out);
  assert_string_equal (json_object_get_string_member (before, "source"), "checkpoints");
  assert_int_equal (json_object_get_int_member (before, "total"), 3);
  assert_int_equal (json_object_get_int_member (before, "offset"), 0);
  assert_int_equal (json_array_get_length (json_object_get_array_member (before, "problems")), 0);

  path = cmdb_test_write_file (fixture->workspace,
                               "outputs/ocr_training-dbnet-unet-resnet18/checkpoints/"
                               "epoch_12_step_000600.ckpt",
                               "newer");
  cmdb_test_touch (path, 60);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  out = run_options (fixture, "checkpoints --json", &err, &status);
  assert_int_equal (status, 0);
  after = parse_object (out);
  assert_int_equal (json_object_get_int_member (after, "total"), 4);
  entries = json_object_get_array_member (after, "entries");
  first = json_array_get_object_element (entries, 0);
  assert_string_equal (json_object_get_string_member (first, "name"),
                       "outputs/ocr_training-dbnet-unet-resnet18/checkpoints/"
                       "epoch_12_step_000600.ckpt");
  assert_string_equal (json_object_get_string_member (first, "file"), path);
  assert_string_equal (json_object_get_string_member (first, "experiment"),
                       "ocr_training-dbnet-unet-resnet18");
  assert_int_equal (json_object_get_int_member (first, "epoch"), 12);
  assert_int_equal (json_object_get_int_member (first, "step"), 600);
  assert_int_equal (json_object_get_int_member (first, "size"), 5);
}

static void
test_search_and_paging_text (void **state)
{
  CmdbTestDemo *fixture = *state;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = -1;

  out = run_options (fixture, "models.decoders --search FPN --offset 1 --limit 1", &err, &status);
  assert_int_equal (status, 0);
  assert_string_equal (out, "fpn_decoder  origin=architecture  architectures=dbnet,dbnetpp\n");
  assert_string_equal (err, "(1 of 2 entries, from offset 1)\n");
}

static void
test_text_alignment (void **state)
{
  CmdbTestDemo *fixture = *state;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = -1;

  out = run_options (fixture, "models.heads", &err, &status);
  assert_int_equal (status, 0);
  assert_string_equal (err, "");
  cmdb_test_assert_text_equal ("craft_head    origin=preset  architectures=craft\n"
                               "db_head       origin=preset  architectures=dbnet,dbnetpp\n"
                               "dbpp_head     origin=preset  architectures=dbnet\n"
                               "dbnetpp_head  origin=architecture  architectures=dbnetpp\n",
                               out, "options models.heads");
}

static void
test_json_descriptions (void **state)
{
  CmdbTestDemo *fixture = *state;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (JsonObject) object = NULL;
  JsonObject *entry;
  int status = -1;

  out = run_options (fixture, "models.encoders --json --limit 1", &err, &status);
  assert_int_equal (status, 0);
  object = parse_object (out);
  assert_int_equal (json_object_get_int_member (object, "total"), 3);
  assert_int_equal (json_object_get_int_member (object, "limit"), 1);
  entry = json_array_get_object_element (json_object_get_array_member (object, "entries"), 0);
  assert_string_equal (json_object_get_string_member (entry, "name"), "craft_vgg");
  assert_string_equal (json_object_get_string_member (entry, "description"),
                       "VGG16-BN feature extractor with the skip outputs CRAFT expects.");
}

static void
test_unknown_source (void **state)
{
  CmdbTestDemo *fixture = *state;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = -1;

  out = run_options (fixture, "models.widgets", &err, &status);
  assert_int_equal (status, 1);
  assert_string_equal (out, "");
  assert_non_null (strstr (err, "unknown option source 'models.widgets'"));
  assert_non_null (strstr (err, "Known option sources:\n"));
  assert_non_null (strstr (err, "  checkpoints (built in)\n"));
  assert_non_null (strstr (err, "  models.decoders (plugin decoders)\n"));
  assert_non_null (strstr (err, "  models.backbones (plugin encoders)\n"));
}

static void
test_missing_directory_warning (void **state)
{
  CmdbTestDemo *fixture = *state;
  g_autofree char *data = g_build_filename (fixture->workspace, "configs", "data", NULL);
  g_autofree char *expected = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = -1;

  cmdb_test_remove_tree (data);
  out = run_options (fixture, "datasets", &err, &status);
  assert_int_equal (status, 0);
  assert_string_equal (out, "");
  expected = g_strdup_printf ("%s: warning: [datasets] directory does not exist; no datasets "
                              "are listed\n",
                              data);
  assert_string_equal (err, expected);
}

static void
test_usage_errors (void **state)
{
  CmdbTestDemo *fixture = *state;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = -1;

  out = run_options (fixture, "datasets checkpoints", &err, &status);
  assert_int_equal (status, 1);
  assert_string_equal (err, "cmdbuilder options: expected one SOURCE\nRun with --help for the "
                            "options.\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  out = run_options (fixture, "datasets --limit -1", &err, &status);
  assert_int_equal (status, 1);
  assert_string_equal (err, "cmdbuilder options: --offset and --limit must not be negative\n");
}

#define T(name)                                                                                    \
  cmocka_unit_test_setup_teardown (name, cmdb_test_demo_setup, cmdb_test_demo_teardown)

int
main (void)
{
  const struct CMUnitTest tests[] = {
    T (test_checkpoints_json_sees_new_file),
    T (test_search_and_paging_text),
    T (test_text_alignment),
    T (test_json_descriptions),
    T (test_unknown_source),
    T (test_missing_directory_warning),
    T (test_usage_errors),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
