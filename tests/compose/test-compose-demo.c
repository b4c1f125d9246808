#define G_LOG_DOMAIN "cmdb-test"

/* The composition check on the bundled demo workspace, through the real
 * cmdbuilder executable:
 *
 *  - every command the demo's forms emit (data/demo-settings.jsonl: the
 *    364 form settings of the reference set: every page, use case,
 *    architecture x optimizer x dataset x preprocessing profile, edge
 *    values, awkward experiment names) composes, and resolves, except where
 *    the user typed an interpolation that points nowhere (exp_name=${foo}),
 *    which the resolve stage names;
 *  - each mutation class of a page's default command gets Hydra 1.3.2's
 *    verdict and first message line (as recorded in the reference vectors);
 *  - `cmdbuilder compose train -- trainer.max_epoch=3` exits 2, names the
 *    key and suggests trainer.max_epochs; --json has the documented shape. */

#include "compose-fixture.h"
#include "cmdbuilder.h"

#include <string.h>

/* Runs `cmdbuilder build PAGE --json ARGS...`; returns the parsed output. */
static JsonNode *
build_json (DemoFixture *f, const char *page, JsonArray *args, int *ret_status)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_ptr_array_add (argv, f->cmdbuilder);
  g_ptr_array_add (argv, "build");
  g_ptr_array_add (argv, (gpointer) page);
  g_ptr_array_add (argv, "--workspace");
  g_ptr_array_add (argv, f->workspace);
  g_ptr_array_add (argv, "--json");
  for (guint i = 0; args != NULL && i < json_array_get_length (args); i++)
    g_ptr_array_add (argv, (gpointer) json_array_get_string_element (args, i));
  g_ptr_array_add (argv, NULL);
  out = cmdb_test_run ((const char *const *) argv->pdata, NULL, &err, ret_status);
  if (!json_parser_load_from_data (parser, out, -1, NULL))
    fail_msg ("build %s printed no JSON: %s", page, err);
  return json_node_copy (json_parser_get_root (parser));
}

/* The Hydra overrides of a built command: constant ones, then the form's. */
static GPtrArray *
command_overrides (JsonObject *command)
{
  GPtrArray *tokens = g_ptr_array_new_with_free_func (g_free);
  const char *members[] = { "constant_overrides", "overrides" };

  for (guint m = 0; m < G_N_ELEMENTS (members); m++)
    {
      JsonArray *array = json_object_get_array_member (command, members[m]);

      for (guint i = 0; i < json_array_get_length (array); i++)
        g_ptr_array_add (tokens, g_strdup (json_array_get_string_element (array, i)));
    }
  return tokens;
}

static CmdbComposeResult *
compose_tokens (CmdbCache *cache, DemoFixture *f, const char *page, GPtrArray *tokens)
{
  g_autofree char *configs = g_build_filename (f->workspace, "configs", NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();

  for (guint i = 0; i < tokens->len; i++)
    g_ptr_array_add (argv, g_ptr_array_index (tokens, i));
  g_ptr_array_add (argv, NULL);
  return cmdb_compose (cache, configs, page, (const char *const *) argv->pdata);
}

static void
test_every_form_command (void **state)
{
  DemoFixture *f = *state;
  g_autofree char *path = cmdb_test_source_path ("tests/compose/data/demo-settings.jsonl");
  g_autofree char *text = cmdb_test_read_file (path);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr (CmdbCache) cache = cmdb_cache_new (0);
  g_autoptr (GHashTable) distinct = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n_settings = 0, n_bad = 0, n_dangling = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      g_autoptr (JsonNode) built = NULL;
      g_autoptr (GPtrArray) tokens = NULL;
      g_autoptr (CmdbComposeResult) result = NULL;
      g_autofree char *joined = NULL;
      JsonObject *setting;
      const char *page;
      JsonArray *args;
      gboolean typed_interpolation = FALSE;
      int status = -1;

      if (lines[i][0] == '\0')
        continue;
      g_assert_true (json_parser_load_from_data (parser, lines[i], -1, NULL));
      setting = json_node_get_object (json_parser_get_root (parser));
      page = json_object_get_string_member (setting, "page");
      args = json_object_get_array_member (setting, "args");
      for (guint k = 0; k < json_array_get_length (args); k++)
        if (strstr (json_array_get_string_element (args, k), "${") != NULL)
          typed_interpolation = TRUE;
      n_settings++;
      built = build_json (f, page, args, &status);
      tokens = command_overrides (json_node_get_object (built));
      g_ptr_array_add (tokens, NULL);
      joined = g_strjoinv (" ", (char **) tokens->pdata);
      g_ptr_array_remove_index (tokens, tokens->len - 1);
      g_hash_table_add (distinct, g_strconcat (page, " ", joined, NULL));
      result = compose_tokens (cache, f, page, tokens);
      if (!cmdb_compose_result_get_ok (result))
        {
          n_bad++;
          g_print ("# DOES NOT COMPOSE: %s %s: %s\n", page, joined,
                   cmdb_compose_result_get_message (result));
          continue;
        }
      if (typed_interpolation)
        {
          g_autoptr (JsonNode) json = cmdb_compose_result_to_json (result);
          g_autofree char *shown = json_to_string (json, FALSE);

          /* exp_name=${foo}: the user's interpolation points nowhere. */
          n_dangling++;
          if (cmdb_compose_result_get_resolve_ok (result)
              || strstr (shown, "'foo' not found") == NULL)
            {
              n_bad++;
              g_print ("# ${foo} NOT REPORTED: %s %s: %s\n", page, joined, shown);
            }
          continue;
        }
      if (!cmdb_compose_result_get_resolve_ok (result))
        {
          g_autoptr (JsonNode) json = cmdb_compose_result_to_json (result);
          g_autofree char *shown = json_to_string (json, FALSE);

          n_bad++;
          g_print ("# DOES NOT RESOLVE: %s %s: %s\n", page, joined, shown);
        }
    }
  g_print ("# %u form settings, %u distinct commands, %u with a typed dangling interpolation, "
           "%u bad\n",
           n_settings, g_hash_table_size (distinct), n_dangling, n_bad);
  g_assert_cmpuint (n_settings, ==, 364);
  g_assert_cmpuint (g_hash_table_size (distinct), >=, 300);
  g_assert_cmpuint (n_dangling, >=, 3);
  g_assert_cmpuint (n_bad, ==, 0);
}

/* One mutation of a default command and Hydra's verdict for it (the
 * reference vector named in the comment gives the wording). */
typedef struct
{
  const char *name;
  const char *page;
  const char *token;
  gboolean composes;
  gboolean resolves;
  const char *first_line; /* Hydra's, or the resolve stage's message */
} Mutation;

static const Mutation mutations[] = {
  /* demo-0365 */
  { "typo key", "train", "trainer.max_epoch=3", FALSE, FALSE,
    "Could not override 'trainer.max_epoch'." },
  /* demo-2157 */
  { "missing +", "train", "preset/datasets=preprocessing", FALSE, FALSE,
    "Could not override 'preset/datasets'. No match in the defaults list." },
  /* demo-0366 */
  { "+ on an existing key", "train", "+trainer.max_epochs=3", FALSE, FALSE,
    "Could not append to config. An item is already at 'trainer.max_epochs'." },
  /* demo-0373 */
  { "unknown option", "train", "model/optimizers=sgd", FALSE, FALSE,
    "In 'model/default': Could not find 'model/optimizers/sgd'" },
  /* demo-0370 */
  { "group not in defaults", "train", "data/performance_preset=minimal", FALSE, FALSE,
    "Could not override 'data/performance_preset'. No match in the defaults list." },
  /* cli_groups-0009, demo-1122 */
  { "~ of a missing group", "train", "~preset/datasets", FALSE, FALSE,
    "Could not delete 'preset/datasets'. No match in the defaults list" },
  /* demo-0198: composes, fails on first read */
  { "interpolation to nowhere", "train", "exp_name=${foo}", TRUE, FALSE,
    "Interpolation key 'foo' not found" },
  /* test and predict pages too */
  { "typo key (test)", "test", "trainer.max_epoch=3", FALSE, FALSE,
    "Could not override 'trainer.max_epoch'." },
  { "unknown option (predict)", "predict", "data=nope", FALSE, FALSE,
    "In 'predict': Could not find 'data/nope'" },
  /* the fix: the preprocessing preset and a profile's overrides resolve */
  { "preprocessing data", "train", "data=preprocessing", TRUE, TRUE, NULL },
};

static void
test_mutation_classes (void **state)
{
  DemoFixture *f = *state;
  g_autoptr (CmdbCache) cache = cmdb_cache_new (0);

  for (guint m = 0; m < G_N_ELEMENTS (mutations); m++)
    {
      const Mutation *mutation = &mutations[m];
      g_autoptr (JsonNode) built = NULL;
      g_autoptr (GPtrArray) tokens = NULL;
      g_autoptr (CmdbComposeResult) result = NULL;
      g_autoptr (JsonNode) json = NULL;
      g_autofree char *shown = NULL;
      int status = -1;

      built = build_json (f, mutation->page, NULL, &status);
      g_assert_cmpint (status, ==, 0);
      tokens = command_overrides (json_node_get_object (built));
      g_ptr_array_add (tokens, g_strdup (mutation->token));
      result = compose_tokens (cache, f, mutation->page, tokens);
      json = cmdb_compose_result_to_json (result);
      shown = json_to_string (json, FALSE);
      g_print ("# %s: %s\n", mutation->name, shown);
      g_assert_cmpint (cmdb_compose_result_get_ok (result), ==, mutation->composes);
      g_assert_cmpint (cmdb_compose_result_get_resolve_ok (result), ==, mutation->resolves);
      if (!mutation->composes)
        {
          g_auto (GStrv) lines = g_strsplit (cmdb_compose_result_get_message (result), "\n", 2);

          g_assert_cmpstr (lines[0], ==, mutation->first_line);
          g_assert_nonnull (cmdb_compose_result_get_hint (result));
        }
      else if (mutation->first_line != NULL)
        g_assert_nonnull (strstr (shown, mutation->first_line));
    }
}

static void
test_cli (void **state)
{
  DemoFixture *f = *state;
  const char *argv[]
      = { f->cmdbuilder,         "compose", "train", "--workspace", f->workspace, "--",
          "trainer.max_epoch=3", NULL };
  const char *json_argv[]
      = { f->cmdbuilder,         "compose", "train", "--workspace", f->workspace, "--json", "--",
          "trainer.max_epoch=3", NULL };
  const char *ok_argv[] = { f->cmdbuilder,
                            "compose",
                            "train",
                            "--workspace",
                            f->workspace,
                            "--json",
                            "--",
                            "trainer.max_epochs=3",
                            "+preset/datasets=preprocessing",
                            NULL };
  g_autofree char *out = NULL;
  g_autofree char *json_out = NULL;
  g_autofree char *ok_out = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *object, *problem;
  int status = -1;

  out = cmdb_test_run (argv, NULL, NULL, &status);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (out, "trainer.max_epoch"));
  g_assert_nonnull (strstr (out, "did you mean 'trainer.max_epochs'?"));

  json_out = cmdb_test_run (json_argv, NULL, NULL, &status);
  g_assert_cmpint (status, ==, 2);
  g_assert_true (json_parser_load_from_data (parser, json_out, -1, NULL));
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_false (json_object_get_boolean_member (object, "ok"));
  g_assert_cmpstr (json_object_get_string_member (object, "config"), ==, "train");
  problem = json_array_get_object_element (json_object_get_array_member (object, "problems"), 0);
  g_assert_cmpstr (json_object_get_string_member (problem, "override"), ==, "trainer.max_epoch=3");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (problem, "message"),
                                   "Could not override 'trainer.max_epoch'."));
  g_assert_nonnull (strstr (json_object_get_string_member (problem, "hint"), "max_epochs"));
  g_assert_true (json_object_has_member (object, "resolve"));

  ok_out = cmdb_test_run (ok_argv, NULL, NULL, &status);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (ok_out, "\"ok\" : true"));
}

static guint
count_runs (const char *runs_dir)
{
  GDir *dir = g_dir_open (runs_dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      n++;
  if (dir != NULL)
    g_dir_close (dir);
  return n;
}

/* `run` and `rerun` refuse a command Hydra would not compose, before any
 * run exists; --force runs it anyway. */
static void
test_run_and_rerun_refuse (void **state)
{
  DemoFixture *f = *state;
  g_autoptr (JsonNode) built = NULL;
  g_autofree char *edited = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *forced = NULL;
  g_autofree char *rerun_err = NULL;
  g_autofree char *rerun_forced = NULL;
  g_autofree char *runs_dir = g_build_filename (f->workspace, ".cmdbuilder", "runs", NULL);
  int status = -1;

  built = build_json (f, "train", NULL, &status);
  g_assert_cmpint (status, ==, 0);
  edited = g_strconcat (json_object_get_string_member (json_node_get_object (built), "command"),
                        " trainer.max_epoch=3", NULL);
  {
    const char *argv[] = { f->cmdbuilder, "run",  "train",    "--workspace", f->workspace,
                           "--command",   edited, "--detach", NULL };

    out = cmdb_test_run (argv, NULL, &err, &status);
    g_assert_cmpint (status, ==, 2);
    g_assert_nonnull (strstr (err, "did you mean 'trainer.max_epochs'?"));
    g_assert_nonnull (strstr (err, "--force"));
    g_assert_cmpuint (count_runs (runs_dir), ==, 0);
  }
  {
    const char *argv[] = { f->cmdbuilder, "run",  "train",    "--workspace", f->workspace,
                           "--command",   edited, "--detach", "--force",     NULL };

    forced = cmdb_test_run (argv, NULL, NULL, &status);
    g_assert_cmpint (status, ==, 0);
    g_assert_cmpuint (strlen (g_strstrip (forced)), >, 0); /* the run id */
    g_assert_cmpuint (count_runs (runs_dir), ==, 1);
  }
  {
    const char *argv[]
        = { f->cmdbuilder, "rerun", "last", "--workspace", f->workspace, "--detach", NULL };
    g_autofree char *rerun_out = cmdb_test_run (argv, NULL, &rerun_err, &status);

    g_assert_cmpint (status, ==, 2);
    g_assert_nonnull (strstr (rerun_err, "Could not override 'trainer.max_epoch'."));
    g_assert_cmpuint (count_runs (runs_dir), ==, 1);
  }
  {
    const char *argv[] = { f->cmdbuilder, "rerun",    "last",    "--workspace",
                           f->workspace,  "--detach", "--force", NULL };

    rerun_forced = cmdb_test_run (argv, NULL, NULL, &status);
    g_assert_cmpint (status, ==, 0);
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_every_form_command, demo_fixture_setup,
                                     demo_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_mutation_classes, demo_fixture_setup,
                                     demo_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_cli, demo_fixture_setup, demo_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_run_and_rerun_refuse, demo_fixture_setup,
                                     demo_fixture_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
