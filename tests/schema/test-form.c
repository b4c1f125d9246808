#define G_LOG_DOMAIN "cmdb-test"

/* Form evaluation on the bundled train schema and a copy of the demo
 * workspace: architecture changes, learning-rate precedence, help, info
 * templates, JSON. The form is evaluated through the Train page's session,
 * so the page plugin's rules apply as they do in the CLI and the server. */

#include "test-util.h"
#include "schema/cmdb-schema-private.h"
#include "session/cmdb-page-session-private.h"

#include <string.h>

typedef struct
{
  char *tmp;
  char *workspace;
  CmdbTestSession *session;
  CmdbPageSession *page;
  CmdbSchema *schema;
} Fixture;

static int
setup (void **state)
{
  Fixture *fixture = g_new0 (Fixture, 1);
  g_autofree char *demo = cmdb_test_source_path ("examples/ocr-workspace");
  g_autofree char *schema_path = cmdb_test_source_path ("schemas/train.yaml");
  g_autoptr (GError) error = NULL;

  fixture->tmp = cmdb_test_make_tempdir ();
  fixture->workspace = g_build_filename (fixture->tmp, "ws", NULL);
  cmdb_test_isolate_environment (fixture->tmp);
  cmdb_test_copy_tree (demo, fixture->workspace);
  fixture->session = cmdb_test_session_new (fixture->workspace, NULL);
  fixture->page
      = cmdb_page_session_open (fixture->session->host, fixture->session->context, "train", &error);
  assert_non_null (fixture->page);
  fixture->schema = cmdb_schema_load (fixture->session->cache, schema_path, &error);
  assert_non_null (fixture->schema);
  /* The page found the bundled schema: the same (cached) object. */
  assert_ptr_equal (fixture->schema, cmdb_page_session_get_schema (fixture->page));
  assert_false (cmdb_schema_has_errors (fixture->schema));
  *state = fixture;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *fixture = *state;

  cmdb_schema_unref (fixture->schema);
  cmdb_page_session_unref (fixture->page);
  cmdb_test_session_free (fixture->session);
  cmdb_test_remove_tree (fixture->tmp);
  g_free (fixture->workspace);
  g_free (fixture->tmp);
  g_free (fixture);
  return 0;
}

static const char *
string_of (CmdbFormState *state, const char *key)
{
  const CmdbFieldState *field = cmdb_form_state_lookup (state, key);

  assert_non_null (field);
  assert_non_null (field->value);
  return json_node_get_string (field->value);
}

static double
number_of (CmdbFormState *state, const char *key)
{
  const CmdbFieldState *field = cmdb_form_state_lookup (state, key);

  assert_non_null (field);
  assert_non_null (field->value);
  return json_node_get_double (field->value);
}

static CmdbFormState *
evaluate (Fixture *fixture, CmdbFormInput *input, CmdbFormFlags flags)
{
  return cmdb_page_session_evaluate (fixture->page, input,
                                     (flags & CMDB_FORM_KEEP_INVALID) ? CMDB_PAGE_SESSION_STRICT
                                                                      : CMDB_PAGE_SESSION_FOLLOW);
}

static void
set (CmdbFormInput *input, CmdbSchema *schema, const char *key, const char *text)
{
  g_autoptr (GError) error = NULL;

  if (!cmdb_form_input_set_text (input, schema, key, text, &error))
    {
      g_printerr ("%s=%s: %s\n", key, text, error->message);
      fail ();
    }
}

static void
test_defaults (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbFormState) form = evaluate (fixture, NULL, CMDB_FORM_FLAGS_NONE);
  const CmdbFieldState *encoder = cmdb_form_state_lookup (form, "encoder");

  assert_false (cmdb_form_state_has_errors (form));
  assert_string_equal (string_of (form, "architecture"), "dbnet");
  assert_string_equal (string_of (form, "encoder"), "resnet18");
  assert_string_equal (string_of (form, "optimizer"), "adam");
  assert_true (number_of (form, "learning_rate") == 0.001);
  /* filtered in the order of the option list */
  assert_int_equal (encoder->options->len, 5);
  assert_false (encoder->user_set);
  /* the checkpoint selector is hidden and has no value */
  assert_false (cmdb_form_state_lookup (form, "checkpoint_path")->visible);
  assert_null (cmdb_form_state_lookup (form, "checkpoint_path")->value);
}

/* A hidden element's option source is not listed: the checkpoint scan
 * happens only once "resume" makes the picker visible. */
static void
test_hidden_source_not_listed (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbFormState) hidden = NULL;
  g_autoptr (CmdbFormState) shown = NULL;
  g_autoptr (CmdbFormInput) input = cmdb_form_input_new ();
  CmdbCacheStats before, after;

  hidden = evaluate (fixture, NULL, CMDB_FORM_FLAGS_NONE);
  assert_false (cmdb_form_state_lookup (hidden, "checkpoint_path")->visible);
  assert_int_equal (cmdb_form_state_lookup (hidden, "checkpoint_path")->options->len, 1);
  cmdb_cache_get_stats (fixture->session->cache, &before);

  set (input, fixture->schema, "resume_training", "true");
  shown = evaluate (fixture, input, CMDB_FORM_FLAGS_NONE);
  cmdb_cache_get_stats (fixture->session->cache, &after);
  assert_true (cmdb_form_state_lookup (shown, "checkpoint_path")->visible);
  /* the demo's three checkpoints */
  assert_int_equal (cmdb_form_state_lookup (shown, "checkpoint_path")->options->len, 3);
  /* outputs/ and the experiments were read only now */
  assert_true (after.dir_scans > before.dir_scans);
}

/* A value the user set survives an architecture change while it is still
 * valid; values at their defaults follow the new architecture. */
static void
test_architecture_change (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbFormInput) input = cmdb_form_input_new ();
  g_autoptr (CmdbFormState) form = NULL;
  g_autoptr (CmdbFormState) changed = NULL;
  g_autoptr (CmdbFormState) strict = NULL;
  const CmdbFieldState *encoder;

  set (input, fixture->schema, "encoder", "resnet50");
  form = evaluate (fixture, input, CMDB_FORM_FLAGS_NONE);
  assert_string_equal (string_of (form, "encoder"), "resnet50");
  assert_string_equal (string_of (form, "decoder"), "unet");

  set (input, fixture->schema, "architecture", "dbnetpp");
  changed = evaluate (fixture, input, CMDB_FORM_FLAGS_NONE);
  encoder = cmdb_form_state_lookup (changed, "encoder");
  assert_string_equal (string_of (changed, "encoder"), "resnet50");
  assert_true (encoder->user_set);
  assert_string_equal (string_of (changed, "decoder"), "dbnetpp_decoder");
  assert_string_equal (string_of (changed, "head"), "dbnetpp_head");
  assert_string_equal (string_of (changed, "optimizer"), "adamw");
  assert_false (cmdb_form_state_has_errors (changed));

  /* resnet34 is not compatible with dbnetpp: interactively it falls back to
   * the architecture's default with a warning ... */
  set (input, fixture->schema, "encoder", "resnet34");
  g_clear_pointer (&changed, cmdb_form_state_unref);
  changed = evaluate (fixture, input, CMDB_FORM_FLAGS_NONE);
  encoder = cmdb_form_state_lookup (changed, "encoder");
  assert_string_equal (string_of (changed, "encoder"), "resnet50");
  assert_false (encoder->user_set);
  assert_int_equal (encoder->warnings->len, 1);
  assert_string_equal (g_ptr_array_index (encoder->warnings, 0),
                       "'Encoder (backbone)': 'resnet34' is not available for 'dbnetpp' "
                       "architecture; using 'resnet50'.");
  assert_false (cmdb_form_state_has_errors (changed));

  /* ... and from the command line it is kept and refused. */
  strict = evaluate (fixture, input, CMDB_FORM_KEEP_INVALID);
  encoder = cmdb_form_state_lookup (strict, "encoder");
  assert_string_equal (string_of (strict, "encoder"), "resnet34");
  assert_true (cmdb_form_state_has_errors (strict));
  assert_string_equal (g_ptr_array_index (encoder->errors, 0),
                       "Encoder 'resnet34' is not compatible with 'dbnetpp' architecture. "
                       "Compatible encoders: resnet50, resnet101");
}

/* The architecture's default_learning_rate applies while the user has not
 * set the rate; the optimizer's default otherwise; the user's value wins. */
static void
test_learning_rate_precedence (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbFormInput) input = cmdb_form_input_new ();
  g_autoptr (CmdbFormState) dbnetpp = NULL;
  g_autoptr (CmdbFormState) user = NULL;
  g_autoptr (CmdbFormState) too_high = NULL;
  const CmdbFieldState *rate;

  set (input, fixture->schema, "architecture", "dbnetpp");
  dbnetpp = evaluate (fixture, input, CMDB_FORM_FLAGS_NONE);
  rate = cmdb_form_state_lookup (dbnetpp, "learning_rate");
  /* dbnetpp says 0.0005, its optimizer adamw 0.0003: the architecture wins */
  assert_string_equal (string_of (dbnetpp, "optimizer"), "adamw");
  assert_true (number_of (dbnetpp, "learning_rate") == 0.0005);
  /* the optimizer still bounds it */
  assert_true (json_node_get_double (rate->min) == 5e-6);
  assert_true (json_node_get_double (rate->max) == 5e-3);

  set (input, fixture->schema, "learning_rate", "0.002");
  user = evaluate (fixture, input, CMDB_FORM_FLAGS_NONE);
  assert_true (number_of (user, "learning_rate") == 0.002);
  assert_true (cmdb_form_state_lookup (user, "learning_rate")->user_set);

  set (input, fixture->schema, "learning_rate", "0.008");
  too_high = evaluate (fixture, input, CMDB_FORM_KEEP_INVALID);
  rate = cmdb_form_state_lookup (too_high, "learning_rate");
  assert_int_equal (rate->errors->len, 1);
  assert_string_equal (g_ptr_array_index (rate->errors, 0),
                       "Learning rate must be <= 0.005 for optimizer 'adamw'.");
}

/* The page's experiment name comes from the element whose role says so
 * (the Train page's rules give exp_name that role), with the suffix. */
static void
test_experiment_name (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbFormInput) input = cmdb_form_input_new ();
  g_autoptr (CmdbFormState) form = NULL;
  g_autoptr (CmdbFormState) resumed = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *suffixed = NULL;
  g_autofree char *resumed_name = NULL;

  form = evaluate (fixture, input, CMDB_FORM_KEEP_INVALID);
  assert_string_equal (cmdb_page_session_get_experiment_key (fixture->page, form), "exp_name");
  plain = cmdb_page_session_get_experiment_name (fixture->page, form, FALSE);
  suffixed = cmdb_page_session_get_experiment_name (fixture->page, form, TRUE);
  assert_string_equal (plain, "ocr_training");
  assert_string_equal (suffixed, "ocr_training-dbnet-unet-resnet18");

  /* Resuming keeps the checkpoint's name: no suffix. */
  set (input, fixture->schema, "resume_training", "true");
  resumed = evaluate (fixture, input, CMDB_FORM_KEEP_INVALID);
  resumed_name = cmdb_page_session_get_experiment_name (fixture->page, resumed, TRUE);
  assert_string_equal (resumed_name, "ocr_training");
}

/* A page's rule defaults: the usable ones are kept, an unknown rule or one
 * of the wrong shape is left out and reported with the key and the rule;
 * the bundled pages' own defaults are all usable. */
static void
test_rule_defaults_checked (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GPtrArray) problems
      = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);
  g_autoptr (JsonObject) kept = NULL;
  JsonObject *neck;

  assert_true (json_parser_load_from_data (
      parser,
      "{\"neck\": {\"incompatible_message\": \"no\", \"incompatible_severity\": \"fatal\","
      " \"colour\": \"red\"}, \"tags\": [1]}",
      -1, NULL));
  kept = cmdb_form_rules_filter (json_node_get_object (json_parser_get_root (parser)),
                                 "page.plugin", problems);
  neck = json_object_get_object_member (kept, "neck");
  assert_true (json_object_has_member (neck, "incompatible_message"));
  assert_false (json_object_has_member (neck, "incompatible_severity"));
  assert_false (json_object_has_member (neck, "colour"));
  assert_false (json_object_has_member (kept, "tags"));
  assert_int_equal (problems->len, 3);
  assert_string_equal (((CmdbProblem *) g_ptr_array_index (problems, 0))->message,
                       "rule 'incompatible_severity' of 'neck' must be error or warning; it is "
                       "ignored");
  assert_string_equal (((CmdbProblem *) g_ptr_array_index (problems, 1))->message,
                       "rule 'colour' of 'neck' is not a rule; it is ignored");
  assert_string_equal (((CmdbProblem *) g_ptr_array_index (problems, 2))->message,
                       "the rules of 'tags' must be an object of rule: value");

  assert_int_equal (cmdb_page_session_get_problems (fixture->page)->len, 0);
  assert_true (json_object_has_member (cmdb_page_session_get_rules (fixture->page), "exp_name"));
}

/* The architecture field's help follows the selected architecture. */
static void
test_architecture_help (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbFormInput) input = cmdb_form_input_new ();
  g_autoptr (CmdbFormState) form = NULL;
  const CmdbFieldState *architecture;

  set (input, fixture->schema, "architecture", "craft");
  form = evaluate (fixture, input, CMDB_FORM_FLAGS_NONE);
  architecture = cmdb_form_state_lookup (form, "architecture");
  assert_non_null (strstr (architecture->help, "CRAFT"));
  assert_null (strstr (architecture->help, "DBNet"));
  assert_string_equal (architecture->architecture, "craft");
}

/* A template naming a field the metadata lacks never fails. */
static void
test_info_missing_field (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbFormInput) input = cmdb_form_input_new ();
  g_autoptr (CmdbFormState) form = NULL;
  g_autofree char *meta = cmdb_test_write_file (
      fixture->workspace, "configs/ui_meta/architectures/craft.yaml",
      "ui_metadata:\n  components:\n    encoder: craft_vgg\n    decoder: craft_decoder\n");

  cmdb_test_touch (meta, 5);
  set (input, fixture->schema, "architecture", "craft");
  form = evaluate (fixture, input, CMDB_FORM_FLAGS_NONE);
  assert_string_equal (cmdb_form_state_lookup (form, "architecture_components")->info_text,
                       "Encoder: craft_vgg\nDecoder: craft_decoder\nHead: -\nLoss: -");
}

static void
test_use_case_sets_profile (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (GPtrArray) use_cases = cmdb_list_use_cases (fixture->session->context, "dbnet");
  g_autoptr (GPtrArray) firsts = cmdb_list_use_cases (fixture->session->context, NULL);
  g_autoptr (CmdbFormInput) input = cmdb_form_input_new ();
  g_autoptr (CmdbFormState) form = NULL;
  const CmdbUseCase *receipts;

  assert_int_equal (use_cases->len, 3);
  assert_int_equal (firsts->len, 3); /* one per architecture */
  receipts = g_ptr_array_index (use_cases, 0);
  assert_string_equal (receipts->id, "receipts_balanced");
  cmdb_form_input_apply_use_case (input, fixture->schema, receipts);
  form = evaluate (fixture, input, CMDB_FORM_FLAGS_NONE);
  assert_string_equal (string_of (form, "preprocessing_profile"), "lens_style");
  assert_string_equal (string_of (form, "decoder"), "fpn_decoder");
  assert_int_equal (json_node_get_int (cmdb_form_state_lookup (form, "batch_size")->value), 8);

  /* a label is accepted too */
  cmdb_form_input_set (input, "preprocessing_profile", NULL, FALSE);
  set (input, fixture->schema, "preprocessing_profile", "Lens-style + Office mode");
  assert_string_equal (json_node_get_string (cmdb_form_input_get (input, "preprocessing_profile")),
                       "lens_style_office");
}

static void
test_set_text_errors (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbFormInput) input = cmdb_form_input_new ();
  g_autoptr (GError) error = NULL;

  assert_false (cmdb_form_input_set_text (input, fixture->schema, "learnig_rate", "1", &error));
  assert_true (g_error_matches (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_UNKNOWN_KEY));
  assert_string_equal (error->message, "unknown key 'learnig_rate'; did you mean 'learning_rate'?");
  g_clear_error (&error);
  assert_false (cmdb_form_input_set_text (input, fixture->schema, "batch_size", "4.5", &error));
  assert_string_equal (error->message, "'Batch size' needs a whole number");
  g_clear_error (&error);
  assert_false (cmdb_form_input_set_text (input, fixture->schema, "wandb", "maybe", &error));
  assert_string_equal (error->message,
                       "'Log to Weights & Biases' is a checkbox; give true or false");
}

static void
test_json (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbFormState) form = evaluate (fixture, NULL, CMDB_FORM_FLAGS_NONE);
  g_autoptr (JsonNode) node = cmdb_form_state_to_json (form);
  JsonObject *root = json_node_get_object (node);
  JsonArray *fields = json_object_get_array_member (root, "fields");
  JsonObject *encoder = json_array_get_object_element (fields, 6);

  assert_true (json_object_get_boolean_member (root, "valid"));
  assert_int_equal (json_array_get_length (fields), 21);
  assert_string_equal (json_object_get_string_member (encoder, "key"), "encoder");
  assert_string_equal (json_object_get_string_member (encoder, "value"), "resnet18");
  assert_int_equal (json_array_get_length (json_object_get_array_member (encoder, "options")), 5);
  assert_string_equal (
      json_object_get_string_member (json_object_get_object_member (root, "values"), "exp_name"),
      "ocr_training");
}

/* Edited text back to argv, and the check before a run. */
static void
test_split_and_check (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (GError) error = NULL;
  g_autofree char *runner = g_build_filename (fixture->workspace, "runners/train.py", NULL);
  g_autofree char *text
      = g_strdup_printf ("python3 %s 'exp_name=\"it'\\''s\"' \"a=b c\" x\\ y=1", runner);
  g_autoptr (GPtrArray) argv = cmdb_command_split_text (text, &error);
  g_autoptr (GPtrArray) broken = NULL;

  assert_non_null (argv);
  assert_int_equal (argv->len, 5);
  assert_string_equal (g_ptr_array_index (argv, 2), "exp_name=\"it's\"");
  assert_string_equal (g_ptr_array_index (argv, 3), "a=b c");
  assert_string_equal (g_ptr_array_index (argv, 4), "x y=1");

  broken = cmdb_command_split_text ("python3 run.py 'a=b", &error);
  assert_null (broken);
  assert_true (g_error_matches (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_SPLIT));
  assert_string_equal (error->message, "the single quote at line 1, column 16 is never closed");
  g_clear_error (&error);

  /* the demo's launcher is python3 */
  g_ptr_array_remove_index (argv, 4);
  assert_true (cmdb_command_check_argv (argv, fixture->session->context, &error));
  g_ptr_array_add (argv, g_strdup ("a b=1"));
  assert_false (cmdb_command_check_argv (argv, fixture->session->context, &error));
  assert_string_equal (error->message, "Override 3: cannot read override 'a b=1': the character "
                                       "' ' at column 2 is not allowed in a key");
  g_clear_error (&error);
  /* A sweep runs only with --multirun. */
  g_free (g_ptr_array_steal_index (argv, argv->len - 1));
  g_ptr_array_add (argv, g_strdup ("seed=1,2"));
  assert_false (cmdb_command_check_argv (argv, fixture->session->context, &error));
  assert_string_equal (error->message,
                       "Override 3: 'seed=1,2' is a sweep, which Hydra runs only with --multirun");
  g_clear_error (&error);
  g_ptr_array_add (argv, g_strdup ("--multirun"));
  assert_true (cmdb_command_check_argv (argv, fixture->session->context, &error));
  g_free (g_ptr_array_steal_index (argv, argv->len - 1));
  g_free (g_ptr_array_steal_index (argv, argv->len - 1));
  g_ptr_array_add (argv, g_strdup ("a b=1"));
  g_ptr_array_index (argv, 0) = (g_free (g_ptr_array_index (argv, 0)), g_strdup ("uv"));
  assert_false (cmdb_command_check_argv (argv, fixture->session->context, &error));
  assert_string_equal (error->message,
                       "Command must start with the workspace's launcher 'python3'");
  g_clear_error (&error);
  g_ptr_array_index (argv, 0) = (g_free (g_ptr_array_index (argv, 0)), g_strdup ("python3"));
  g_ptr_array_index (argv, 1)
      = (g_free (g_ptr_array_index (argv, 1)), g_strdup ("runners/nope.py"));
  assert_false (cmdb_command_check_argv (argv, fixture->session->context, &error));
  assert_string_equal (error->message, "Script not found: runners/nope.py");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_defaults, setup, teardown),
    cmocka_unit_test_setup_teardown (test_hidden_source_not_listed, setup, teardown),
    cmocka_unit_test_setup_teardown (test_architecture_change, setup, teardown),
    cmocka_unit_test_setup_teardown (test_experiment_name, setup, teardown),
    cmocka_unit_test_setup_teardown (test_rule_defaults_checked, setup, teardown),
    cmocka_unit_test_setup_teardown (test_learning_rate_precedence, setup, teardown),
    cmocka_unit_test_setup_teardown (test_architecture_help, setup, teardown),
    cmocka_unit_test_setup_teardown (test_info_missing_field, setup, teardown),
    cmocka_unit_test_setup_teardown (test_use_case_sets_profile, setup, teardown),
    cmocka_unit_test_setup_teardown (test_set_text_errors, setup, teardown),
    cmocka_unit_test_setup_teardown (test_json, setup, teardown),
    cmocka_unit_test_setup_teardown (test_split_and_check, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
