#define G_LOG_DOMAIN "cmdb-test"

/* A model family the core has never heard of, and where schemas come from.
 *
 * The demo workspace gets necks: YAML files in configs/model/necks/, the
 * architectures' `compatible_necks` / `default_neck`, a registry plugin
 * (tests/schema/plugins/necks) and schema lines only: `[workspace]
 * schemas=schemas` with nothing but schemas/train.d/neck.yaml in it, the
 * fragment a Python plugin would ship. The bundled Train page must then
 * filter the neck choices by the architecture, default them from its
 * metadata, refuse an incompatible neck and emit +model/necks=... (the
 * group is not in the model's defaults list, so Hydra needs the +).
 * Then the search path: --schemas first, a page plugin's own directory,
 * fragments from several directories in their documented order. */

#include "test-util.h"
#include "session/cmdb-page-session-private.h"

#include <string.h>

static const char neck_fragment[]
    = "# The Train page's neck field (a model family the core does not know).\n"
      "ui_elements:\n"
      "  - key: neck\n"
      "    type: selectbox\n"
      "    label: \"Neck\"\n"
      "    help: \"Feature neck between encoder and decoder.\"\n"
      "    options_source: models.necks\n"
      "    visible_if: \"resume_training == false\"\n"
      "    filter_by_architecture_key: compatible_necks\n"
      "    metadata_default_key: default_neck\n"
      "    hydra_override: +model/necks\n"
      "    incompatible_message: \"Neck '{value}' is not compatible with '{architecture}' "
      "architecture. Compatible necks: {compatible}\"\n";

typedef struct
{
  char *tmp;
  char *workspace;
  char *plugins; /* the build tree's directory holding necks/ */
} Fixture;

/* Puts @lines first into the ui_metadata map of architecture @name. */
static void
add_metadata (const char *workspace, const char *name, const char *lines)
{
  g_autofree char *relative = g_strdup_printf ("configs/ui_meta/architectures/%s.yaml", name);
  g_autofree char *path = g_build_filename (workspace, relative, NULL);
  g_autofree char *text = cmdb_test_read_file (path);
  g_autoptr (GString) edited = g_string_new (text);
  g_autofree char *written = NULL;

  assert_true (g_string_replace (edited, "ui_metadata:\n", lines, 1) == 1);
  written = cmdb_test_write_file (workspace, relative, edited->str);
}

static int
setup (void **state)
{
  Fixture *fixture = g_new0 (Fixture, 1);
  g_autofree char *demo = cmdb_test_source_path ("examples/ocr-workspace");
  g_autofree char *ini_path = NULL;
  g_autofree char *ini = NULL;
  g_autofree char *with_schemas = NULL;

  fixture->tmp = cmdb_test_make_tempdir ();
  fixture->workspace = g_build_filename (fixture->tmp, "ws", NULL);
  fixture->plugins = g_build_filename (cmdb_test_build_root (), "tests", "schema", "plugins", NULL);
  cmdb_test_isolate_environment (fixture->tmp);
  g_setenv ("CMDBUILDER_PLUGIN_PATH", fixture->plugins, TRUE);
  cmdb_test_copy_tree (demo, fixture->workspace);

  g_free (cmdb_test_write_file (fixture->workspace, "configs/model/necks/fpn.yaml",
                                "# Feature pyramid neck.\nchannels: 256\n"));
  g_free (cmdb_test_write_file (fixture->workspace, "configs/model/necks/bifpn.yaml",
                                "# Bidirectional feature pyramid.\nchannels: 128\n"));
  g_free (cmdb_test_write_file (fixture->workspace, "configs/model/necks/pan_neck.yaml",
                                "# Path aggregation neck.\nchannels: 128\n"));
  add_metadata (fixture->workspace, "dbnet",
                "ui_metadata:\n  compatible_necks: [fpn, bifpn]\n  default_neck: fpn\n");
  add_metadata (fixture->workspace, "craft",
                "ui_metadata:\n  compatible_necks: [pan_neck]\n  default_neck: pan_neck\n");

  ini_path = g_build_filename (fixture->workspace, "cmdbuilder.ini", NULL);
  ini = cmdb_test_read_file (ini_path);
  with_schemas = g_strconcat (ini, "\n[workspace]\nschemas=schemas\n", NULL);
  g_free (cmdb_test_write_file (fixture->workspace, "cmdbuilder.ini", with_schemas));
  g_free (cmdb_test_write_file (fixture->workspace, "schemas/train.d/neck.yaml", neck_fragment));
  *state = fixture;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *fixture = *state;

  cmdb_test_remove_tree (fixture->tmp);
  g_free (fixture->tmp);
  g_free (fixture->workspace);
  g_free (fixture->plugins);
  g_free (fixture);
  return 0;
}

/* Runs `cmdbuilder ARGS... --workspace WS`; (transfer full) stdout. */
static char *
run (Fixture *fixture, int *ret_status, char **ret_stderr, const char *first, ...)
{
  g_autofree char *exe = cmdb_test_cmdbuilder ();
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  va_list args;

  g_ptr_array_add (argv, exe);
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, "--workspace");
  g_ptr_array_add (argv, fixture->workspace);
  g_ptr_array_add (argv, NULL);
  return cmdb_test_run ((const char *const *) argv->pdata, fixture->tmp, ret_stderr, ret_status);
}

/* TRUE when the command line @line holds the word @token. */
static gboolean
has_word (const char *line, const char *token)
{
  g_auto (GStrv) words = g_strsplit_set (line, " \n", -1);

  return g_strv_contains ((const char *const *) words, token);
}

static char *
option_values (const CmdbFieldState *field)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < field->options->len; i++)
    g_string_append_printf (out, "%s%s", i > 0 ? "," : "",
                            ((CmdbSchemaOption *) g_ptr_array_index (field->options, i))->value);
  return g_string_free (out, FALSE);
}

/* Filtering, defaults and the cross-field error, through the page session
 * the CLI and the server use. */
static void
test_neck_form (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *config = g_strdup_printf ("[plugins]\npath=%s\n", fixture->plugins);
  CmdbTestSession *session = cmdb_test_session_new (fixture->workspace, config);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbPageSession) page
      = cmdb_page_session_open (session->host, session->context, "train", &error);
  g_autoptr (CmdbFormInput) input = cmdb_form_input_new ();
  g_autoptr (CmdbFormState) dbnet = NULL;
  g_autoptr (CmdbFormState) craft = NULL;
  g_autoptr (CmdbFormState) wrong = NULL;
  const CmdbFieldState *neck;
  g_autofree char *dbnet_options = NULL;
  g_autofree char *craft_options = NULL;

  if (page == NULL)
    {
      g_printerr ("train: %s\n", error->message);
      fail ();
    }
  dbnet = cmdb_page_session_evaluate (page, input, CMDB_PAGE_SESSION_STRICT);
  neck = cmdb_form_state_lookup (dbnet, "neck");
  assert_non_null (neck);
  dbnet_options = option_values (neck);
  /* The options' order (the registry's), narrowed to dbnet's list. */
  assert_string_equal (dbnet_options, "bifpn,fpn");
  assert_string_equal (json_node_get_string (neck->value), "fpn");
  assert_false (cmdb_form_state_has_errors (dbnet));

  assert_true (cmdb_page_session_set_text (page, input, "architecture", "craft", NULL));
  craft = cmdb_page_session_evaluate (page, input, CMDB_PAGE_SESSION_STRICT);
  neck = cmdb_form_state_lookup (craft, "neck");
  craft_options = option_values (neck);
  assert_string_equal (craft_options, "pan_neck");
  assert_string_equal (json_node_get_string (neck->value), "pan_neck");

  assert_true (cmdb_page_session_set_text (page, input, "neck", "fpn", NULL));
  wrong = cmdb_page_session_evaluate (page, input, CMDB_PAGE_SESSION_STRICT);
  neck = cmdb_form_state_lookup (wrong, "neck");
  assert_true (cmdb_form_state_has_errors (wrong));
  assert_int_equal (neck->errors->len, 1);
  assert_string_equal (g_ptr_array_index (neck->errors, 0),
                       "Neck 'fpn' is not compatible with 'craft' architecture. "
                       "Compatible necks: pan_neck");
  cmdb_test_session_free (session);
}

/* The command names the group so that it composes; the CLI refuses an
 * incompatible neck; check says where Train's schema came from. */
static void
test_neck_command_and_check (void **state)
{
  Fixture *fixture = *state;
  int status = -1;
  g_autofree char *err = NULL, *err2 = NULL, *err3 = NULL, *err4 = NULL;
  g_autofree char *out = run (fixture, &status, &err, "build", "train", NULL);
  g_autofree char *craft = NULL, *wrong = NULL, *check = NULL;
  g_autofree char *bundled = cmdb_test_source_path ("schemas/train.yaml");
  g_autofree char *expected_line = NULL;

  assert_int_equal (status, 0);
  assert_true (has_word (out, "+model/necks=fpn"));

  craft = run (fixture, &status, &err2, "build", "train", "--set", "architecture=craft", NULL);
  assert_int_equal (status, 0);
  assert_true (has_word (craft, "+model/necks=pan_neck"));

  wrong = run (fixture, &status, &err3, "build", "train", "--set", "architecture=craft", "--set",
               "neck=fpn", NULL);
  assert_int_equal (status, 2);
  assert_non_null (strstr (err3, "error: Neck 'fpn' is not compatible with 'craft' architecture. "
                                 "Compatible necks: pan_neck\n"));

  check = run (fixture, &status, &err4, "check", NULL);
  expected_line = g_strdup_printf ("train: schema %s + %s/schemas/train.d/neck.yaml\n", bundled,
                                   fixture->workspace);
  if (strstr (check, expected_line) == NULL)
    {
      g_printerr ("check printed:\n%s%s\nexpected the line:\n%s", check, err4, expected_line);
      fail ();
    }
  assert_int_equal (status, 0);
}

/* --schemas comes first; a fragment of a directory searched earlier is
 * merged later, so it has the last word (it replaces the workspace's neck
 * where it stands); a new key is appended. */
static void
test_search_path_order (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *first = g_build_filename (fixture->tmp, "first", NULL);
  g_autofree char *bundled = cmdb_test_source_path ("schemas/train.yaml");
  g_autofree char *train_text = cmdb_test_read_file (bundled);
  g_autoptr (GString) retitled = g_string_new (train_text);
  int status = -1;
  g_autofree char *err = NULL, *err2 = NULL;
  g_autofree char *out = NULL, *check = NULL, *expected_line = NULL;

  g_string_replace (retitled, "OCR Training Command Builder", "First Training", 1);
  g_free (cmdb_test_write_file (first, "command_builder_train.yaml", retitled->str));
  g_free (cmdb_test_write_file (first, "train.d/neck.yaml",
                                "ui_elements:\n"
                                "  - key: neck\n"
                                "    type: text_input\n"
                                "    default: \"custom_neck\"\n"
                                "    hydra_override: +model/necks\n"
                                "  - key: notes\n"
                                "    type: text_input\n"
                                "    default: \"from-first\"\n"
                                "    hydra_override: +notes\n"));

  /* custom_neck is no option of configs/model/necks: the composition check
   * would refuse it; this test is about the schema path's order. */
  out = run (fixture, &status, &err, "build", "train", "--schemas", first, "--no-compose-check",
             NULL);
  assert_int_equal (status, 0);
  /* The workspace's neck, replaced where it stood (last), then the new
   * key appended after it. */
  assert_true (g_str_has_suffix (out, " +model/necks=custom_neck +notes=from-first\n"));

  check = run (fixture, &status, &err2, "check", "--schemas", first, NULL);
  expected_line = g_strdup_printf (
      "train: schema %s/command_builder_train.yaml + %s/schemas/train.d/neck.yaml"
      " + %s/train.d/neck.yaml\n",
      first, fixture->workspace, first);
  if (strstr (check, expected_line) == NULL)
    {
      g_printerr ("check printed:\n%s%s\nexpected the line:\n%s", check, err2, expected_line);
      fail ();
    }
}

/* A page plugin ships its schema next to its .plugin file. */
static void
test_schema_next_to_plugin (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *lab_build
      = g_build_filename (cmdb_test_build_root (), "tests", "host", "plugins", "decoder-lab", NULL);
  g_autofree char *pages = g_build_filename (fixture->tmp, "pages", NULL);
  g_autofree char *lab = g_build_filename (pages, "decoder-lab", NULL);
  g_autofree char *path_value = g_strdup_printf ("%s:%s", fixture->plugins, pages);
  g_autofree char *schema = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  g_autofree char *expected_line = NULL;
  int status = -1;

  cmdb_test_copy_tree (lab_build, lab);
  schema = cmdb_test_write_file (lab, "decoder_lab.yaml",
                                 "title: Decoder lab\n"
                                 "ui_elements:\n"
                                 "  - key: decoder\n"
                                 "    type: selectbox\n"
                                 "    options_source: models.decoders\n"
                                 "    hydra_override: decoder\n");
  /* check also wants every page's runner script (X-Runner, default <id>.py). */
  g_free (cmdb_test_write_file (fixture->workspace, "runners/decoder-lab.py", "print('lab')\n"));
  g_setenv ("CMDBUILDER_PLUGIN_PATH", path_value, TRUE);
  out = run (fixture, &status, &err, "check", NULL);
  g_setenv ("CMDBUILDER_PLUGIN_PATH", fixture->plugins, TRUE);
  expected_line = g_strdup_printf ("decoder-lab: schema %s\n", schema);
  if (strstr (out, expected_line) == NULL)
    {
      g_printerr ("check printed:\n%s%s\nexpected the line:\n%s", out, err, expected_line);
      fail ();
    }
  assert_int_equal (status, 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_neck_form, setup, teardown),
    cmocka_unit_test_setup_teardown (test_neck_command_and_check, setup, teardown),
    cmocka_unit_test_setup_teardown (test_search_path_order, setup, teardown),
    cmocka_unit_test_setup_teardown (test_schema_next_to_plugin, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
