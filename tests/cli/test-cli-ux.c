/* The CLI as a person at a shell meets it: which workspace it found and
 * why, a directory that is not a Hydra project refused with a way out,
 * the README's example, each page's keys, did-you-mean, the exit status
 * table, completion candidates and colour. */
#define G_LOG_DOMAIN "cmdb-test"

#include "test-util.h"

#include <string.h>

static char *tmp;
static char *workspace; /* a copy of the demo workspace */

static int
setup (void **state)
{
  g_autofree char *demo = cmdb_test_source_path ("examples/ocr-workspace");

  tmp = cmdb_test_make_tempdir ();
  cmdb_test_isolate_environment (tmp);
  g_unsetenv ("NO_COLOR");
  workspace = g_build_filename (tmp, "ocr-workspace", NULL);
  cmdb_test_copy_tree (demo, workspace);
  return 0;
}

static int
teardown (void **state)
{
  cmdb_test_remove_tree (tmp);
  g_clear_pointer (&tmp, g_free);
  g_clear_pointer (&workspace, g_free);
  return 0;
}

static void
assert_contains (const char *text, const char *part)
{
  if (text == NULL || strstr (text, part) == NULL)
    {
      print_error ("expected to find \"%s\" in:\n%s\n", part, text != NULL ? text : "(null)");
      fail ();
    }
}

/* The README's example, from the place it says to run it: a discovered
 * workspace is named on stderr with its reason, the command on stdout. */
static void
test_readme_example_names_workspace (void **state)
{
  g_autofree char *err = NULL;
  g_autofree char *expected = g_strdup_printf ("workspace: %s (found pyproject.toml)\n", workspace);
  int status = -1;
  g_autofree char *out = cmdb_test_run_cmdbuilder_in (workspace, &status, &err, "build", "train",
                                                      "--set", "encoder=resnet34", NULL);

  assert_int_equal (status, 0);
  assert_contains (out, "model.encoder.model_name=resnet34");
  assert_string_equal (err, expected);
}

/* --quiet, and JSON on stdout, leave stderr empty. */
static void
test_quiet_and_json_say_nothing (void **state)
{
  g_autofree char *err = NULL;
  g_autofree char *json_err = NULL;
  int status = -1;
  g_autofree char *out
      = cmdb_test_run_cmdbuilder_in (workspace, &status, &err, "build", "train", "--quiet", NULL);
  g_autofree char *json = NULL;

  assert_int_equal (status, 0);
  assert_string_equal (err, "");
  json = cmdb_test_run_cmdbuilder_in (workspace, &status, &json_err, "build", "train", "--json",
                                      NULL);
  assert_int_equal (status, 0);
  assert_string_equal (json_err, "");
  assert_contains (json, "\"argv\"");
}

/* A clone of Command Builder itself (.git, no configs/): refused, naming
 * what was looked for and the demo workspace to use instead; nothing on
 * stdout, exit 1. */
static void
test_directory_without_config_tree_is_refused (void **state)
{
  g_autofree char *clone = g_build_filename (tmp, "clone", NULL);
  g_autofree char *git = g_build_filename (clone, ".git", NULL);
  g_autofree char *demo_configs
      = g_build_filename (clone, "examples", "ocr-workspace", "configs", NULL);
  g_autofree char *err = NULL;
  int status = -1;
  g_autofree char *out = NULL;

  g_assert_no_errno (g_mkdir_with_parents (git, 0755));
  out = cmdb_test_run_cmdbuilder_in (clone, &status, &err, "build", "train", NULL);
  assert_int_equal (status, 1);
  assert_string_equal (out, "");
  assert_contains (err, "is not a Hydra project");
  assert_contains (err, "configs");
  assert_contains (err, "--workspace DIR");
  assert_null (strstr (err, "examples/ocr-workspace"));

  /* With the demo workspace there, the message points at it. */
  g_assert_no_errno (g_mkdir_with_parents (demo_configs, 0755));
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);
  out = cmdb_test_run_cmdbuilder_in (clone, &status, &err, "build", "train", NULL);
  assert_int_equal (status, 1);
  assert_string_equal (out, "");
  assert_contains (err, "--workspace examples/ocr-workspace");
}

/* Every key of the page's schema, as the library reads it. */
static GPtrArray *
schema_keys (const char *page)
{
  g_autofree char *file = g_strdup_printf ("schemas/%s.yaml", page);
  g_autofree char *path = cmdb_test_source_path (file);
  g_autoptr (CmdbCache) cache = cmdb_cache_new (0);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbSchema) schema = cmdb_schema_load (cache, path, &error);
  GPtrArray *keys = g_ptr_array_new_with_free_func (g_free);

  assert_non_null (schema);
  for (guint i = 0; i < cmdb_schema_get_n_elements (schema); i++)
    {
      const CmdbSchemaElement *element = cmdb_schema_get_element (schema, i);

      if (element->type != CMDB_ELEMENT_INFO)
        g_ptr_array_add (keys, g_strdup (element->key));
    }
  return keys;
}

/* `keys PAGE --json` of each bundled page: every key, in schema order,
 * with its type and overrides; the text form names each one too. */
static void
test_keys_of_each_bundled_page (void **state)
{
  static const char *const pages[] = { "train", "test", "predict" };

  for (gsize p = 0; p < G_N_ELEMENTS (pages); p++)
    {
      g_autoptr (GPtrArray) keys = schema_keys (pages[p]);
      g_autoptr (JsonParser) parser = json_parser_new ();
      g_autoptr (GError) error = NULL;
      g_autofree char *err = NULL;
      g_autofree char *text = NULL;
      int status = -1;
      g_autofree char *json = cmdb_test_run_cmdbuilder_in (workspace, &status, &err, "keys",
                                                           pages[p], "--json", NULL);
      JsonArray *array;

      assert_int_equal (status, 0);
      assert_true (json_parser_load_from_data (parser, json, -1, &error));
      array = json_node_get_array (json_parser_get_root (parser));
      assert_int_equal (json_array_get_length (array), keys->len);
      for (guint i = 0; i < keys->len; i++)
        {
          JsonObject *key = json_array_get_object_element (array, i);

          assert_string_equal (json_object_get_string_member (key, "key"),
                               g_ptr_array_index (keys, i));
          assert_non_null (json_object_get_string_member (key, "type"));
          assert_true (json_object_has_member (key, "default"));
          assert_true (json_object_has_member (key, "visible_if"));
          assert_non_null (json_object_get_array_member (key, "overrides"));
        }
      text = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "keys", pages[p], NULL);
      assert_int_equal (status, 0);
      for (guint i = 0; i < keys->len; i++)
        {
          g_autofree char *line = g_strdup_printf ("\n  %s ", (char *) g_ptr_array_index (keys, i));
          assert_contains (text, line);
        }
    }
}

/* `build train --help`: the options, then the keys with their details. */
static void
test_build_help_lists_keys (void **state)
{
  int status = -1;
  g_autofree char *out
      = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "build", "train", "--help", NULL);

  assert_int_equal (status, 0);
  assert_contains (out, "--set=KEY=VALUE");
  assert_contains (out, "Keys of page train");
  assert_contains (out, "\n  encoder ");
  assert_contains (out, "choices: from models.backbones: resnet18, resnet34");
  assert_contains (out, "override: model.encoder.model_name=VALUE");
  assert_contains (out, "shown when: resume_training == false");
  assert_contains (out, "rules: required, at least 3 characters");
}

static void
test_did_you_mean (void **state)
{
  g_autofree char *page_err = NULL, *key_err = NULL, *source_err = NULL;
  g_autofree char *use_case_err = NULL, *command_err = NULL;
  g_autofree char *out = NULL;
  int status = -1;

  g_free (cmdb_test_run_cmdbuilder_in (workspace, &status, &page_err, "build", "trian", NULL));
  assert_int_equal (status, 1);
  assert_contains (page_err, "unknown page 'trian'; did you mean 'train'?");

  g_free (cmdb_test_run_cmdbuilder_in (workspace, &status, &key_err, "build", "train", "--set",
                                       "encodr=x", NULL));
  assert_int_equal (status, 2);
  assert_contains (key_err, "unknown key 'encodr'; did you mean 'encoder'?");

  g_free (cmdb_test_run_cmdbuilder_in (workspace, &status, &source_err, "options", "models.decodrs",
                                       NULL));
  assert_int_equal (status, 1);
  assert_contains (source_err, "did you mean 'models.decoders'?");

  g_free (cmdb_test_run_cmdbuilder_in (workspace, &status, &use_case_err, "build", "train",
                                       "--use-case", "receipts_fst", NULL));
  assert_int_equal (status, 2);
  assert_contains (use_case_err, "did you mean 'receipts_fast'?");

  out = cmdb_test_run_cmdbuilder_in (workspace, &status, &command_err, "biuld", NULL);
  assert_int_equal (status, 1);
  assert_contains (command_err, "unknown command 'biuld'; did you mean 'build'?");
}

/* The exit status table: 1 usage, 2 a negative verdict, 0 success. */
static void
test_exit_statuses (void **state)
{
  int status = -1;

  g_free (cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "build", "train", "--frobnicate",
                                       NULL));
  assert_int_equal (status, 1);
  g_free (cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "keys", NULL));
  assert_int_equal (status, 1);
  g_free (cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "build", "train", "--set",
                                       "max_epochs=-5", NULL));
  assert_int_equal (status, 2);
  g_free (cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "check", "--quiet", NULL));
  assert_int_equal (status, 0);
  g_free (cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "options", "--schemas", workspace,
                                       "datasets", NULL));
  assert_int_equal (status, 0);
}

/* Every subcommand takes the common options, under the same names. */
static void
test_common_options_everywhere (void **state)
{
  static const char *const common[]
      = { "-w, --workspace=DIR", "--schemas=DIR", "-c, --config=GROUP.KEY=VALUE", "-q, --quiet",
          "--color=WHEN" };
  int status = -1;
  g_autofree char *listing
      = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "__complete", "", NULL);
  g_auto (GStrv) commands = g_strsplit (listing, "\n", -1);
  guint n_commands = 0;

  for (guint i = 0; commands[i] != NULL; i++)
    {
      g_autofree char *help = NULL;

      if (commands[i][0] == '\0' || commands[i][0] == '-')
        continue;
      help = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, commands[i], "--help", NULL);
      assert_int_equal (status, 0);
      for (gsize j = 0; j < G_N_ELEMENTS (common); j++)
        assert_contains (help, common[j]);
      n_commands++;
    }
  assert_true (n_commands >= 12);
}

/* What `cmdbuilder __complete` offers, one candidate per line. */
static void
test_complete_candidates (void **state)
{
  int status = -1;
  g_autofree char *commands
      = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "__complete", "bu", NULL);
  g_autofree char *options
      = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "__complete", "build", "--w", NULL);
  g_autofree char *pages
      = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "__complete", "build", "", NULL);
  g_autofree char *keys = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "__complete",
                                                       "build", "train", "--set", "enc", NULL);
  g_autofree char *values = cmdb_test_run_cmdbuilder_in (
      workspace, &status, NULL, "__complete", "build", "train", "--set", "encoder=", NULL);
  g_autofree char *use_cases = cmdb_test_run_cmdbuilder_in (
      workspace, &status, NULL, "__complete", "run", "train", "--use-case", "receipts_f", NULL);
  g_autofree char *sources = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "__complete",
                                                          "options", "models.d", NULL);
  g_autofree char *runs
      = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "__complete", "logs", "", NULL);

  assert_int_equal (status, 0);
  assert_string_equal (commands, "build\n");
  assert_string_equal (options, "--workspace\n");
  assert_string_equal (pages, "train\ntest\npredict\n");
  assert_string_equal (keys, "encoder=\n");
  assert_contains (values, "encoder=resnet18\n");
  assert_contains (values, "encoder=resnet34\n");
  assert_string_equal (use_cases, "receipts_fast\n");
  assert_string_equal (sources, "models.decoders\n");
  assert_string_equal (runs, "last\n");
  g_free (runs);
  runs = cmdb_test_run_cmdbuilder_in (workspace, &status, NULL, "__complete", "rerun", "la", NULL);
  assert_string_equal (runs, "last\n");
}

/* Colour only when asked for or on a terminal: piped output is plain,
 * --color=always colours errors red, --color=never and NO_COLOR win. */
static void
test_colour (void **state)
{
  g_autofree char *plain = NULL, *colored = NULL, *never = NULL;
  int status = -1;

  g_free (cmdb_test_run_cmdbuilder_in (workspace, &status, &plain, "build", "trian", NULL));
  assert_null (strchr (plain, '\033'));
  g_free (cmdb_test_run_cmdbuilder_in (workspace, &status, &colored, "build", "trian",
                                       "--color=always", NULL));
  assert_contains (colored, "\033[31m");
  g_free (cmdb_test_run_cmdbuilder_in (workspace, &status, &never, "build", "trian",
                                       "--color=never", NULL));
  assert_null (strchr (never, '\033'));
}

/* On a terminal (a pty from script(1)), colour is on by default and
 * NO_COLOR turns it off. */
static void
test_colour_on_a_terminal (void **state)
{
  g_autofree char *script = g_find_program_in_path ("script");
  g_autofree char *exe = cmdb_test_cmdbuilder ();
  g_autofree char *line = NULL;
  g_autofree char *colored = NULL, *plain = NULL;
  int status = -1;

  if (script == NULL)
    skip ();
  /* stderr is the terminal; the typo is an error, printed red. */
  line = g_strdup_printf ("'%s' build trian", exe);
  {
    const char *argv[] = { script, "-qec", line, "/dev/null", NULL };

    colored = cmdb_test_run (argv, workspace, NULL, &status);
    g_setenv ("NO_COLOR", "1", TRUE);
    plain = cmdb_test_run (argv, workspace, NULL, &status);
    g_unsetenv ("NO_COLOR");
  }
  assert_contains (colored, "unknown page 'trian'");
  assert_contains (colored, "\033[31m");
  assert_contains (plain, "unknown page 'trian'");
  assert_null (strchr (plain, '\033'));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_readme_example_names_workspace, setup, teardown),
    cmocka_unit_test_setup_teardown (test_quiet_and_json_say_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown (test_directory_without_config_tree_is_refused, setup,
                                     teardown),
    cmocka_unit_test_setup_teardown (test_keys_of_each_bundled_page, setup, teardown),
    cmocka_unit_test_setup_teardown (test_build_help_lists_keys, setup, teardown),
    cmocka_unit_test_setup_teardown (test_did_you_mean, setup, teardown),
    cmocka_unit_test_setup_teardown (test_exit_statuses, setup, teardown),
    cmocka_unit_test_setup_teardown (test_common_options_everywhere, setup, teardown),
    cmocka_unit_test_setup_teardown (test_complete_candidates, setup, teardown),
    cmocka_unit_test_setup_teardown (test_colour, setup, teardown),
    cmocka_unit_test_setup_teardown (test_colour_on_a_terminal, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
