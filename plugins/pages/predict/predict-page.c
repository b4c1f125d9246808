/* The Predict page: prediction on a checkpoint.
 *
 * Its form, overrides and validation come from its schema (X-Schema in
 * predict.plugin) and the core's schema engine; this module only supplies what
 * is specific to the page: the submission export (spec 1.5). A prediction
 * writes outputs/<experiment>/submissions/<time>.json; the actions below list
 * those files and convert one to the competition's CSV with the workspace's
 * own converter (ocr/utils/convert_submission.py), run with the workspace's
 * launcher as a real subprocess: argv, no shell, 60 s at most. The CSV goes
 * under the outputs folder and nowhere else: its name is relative to it, and
 * a name that leaves it (.., an absolute path, a symbolic link pointing out)
 * is refused. Like every page, it returns data; the core renders it.
 */
#define G_LOG_DOMAIN "cmdb-page-predict"

#include <cmdbuilder/cmdbuilder.h>
#include "cmdb-model-page-rules.h"
#include "cmdb-checkpoint-origin.h"
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libpeas/peas.h>
#include <errno.h>
#include <string.h>

#define ACTION_LIST "list-submissions"
#define ACTION_EXPORT "export-csv"
#define CONVERTER "ocr/utils/convert_submission.py"
#define CONVERT_TIMEOUT_SECONDS 60
/* The converter's words shown to the user; more is cut (it prints a line
 * or two, but a broken launcher could print anything). */
#define MAX_OUTPUT_BYTES (64 * 1024)
#define DEFAULT_OUTPUT "submission.csv"

#define CMDB_TYPE_PREDICT_PAGE (cmdb_predict_page_get_type ())
G_DECLARE_FINAL_TYPE (CmdbPredictPage, cmdb_predict_page, CMDB, PREDICT_PAGE, GObject)

struct _CmdbPredictPage
{
  GObject parent_instance;
};

static void cmdb_predict_page_iface_init (CmdbPageInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (CmdbPredictPage, cmdb_predict_page, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (CMDB_TYPE_PAGE,
                                                               cmdb_predict_page_iface_init))

/* ---- parameters ---- */

static const char *
param_string (JsonObject *params, const char *name)
{
  JsonNode *node = params != NULL ? json_object_get_member (params, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
param_bool (JsonObject *params, const char *name)
{
  JsonNode *node = params != NULL ? json_object_get_member (params, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

/* @path as the user sees it: relative to the workspace root when inside. */
static char *
display_path (CmdbContext *context, const char *path)
{
  const char *root = cmdb_context_get_root (context);
  gsize length = strlen (root);

  if (g_str_has_prefix (path, root) && path[length] == G_DIR_SEPARATOR)
    return g_strdup (path + length + 1);
  return g_strdup (path);
}

/* Relative paths are the workspace root's, as the converter runs there. */
static char *
resolve_path (CmdbContext *context, const char *path)
{
  if (g_path_is_absolute (path))
    return g_canonicalize_filename (path, NULL);
  return g_canonicalize_filename (path, cmdb_context_get_root (context));
}

/* ---- listing submissions ---- */

/* The submissions are the core's option source "submissions"
 * (outputs/<experiment>/submissions/<time>.json, newest first, read through the
 * shared cache): the same list `cmdbuilder options submissions` and
 * /api/options/submissions give. */
static int
compare_names_reversed (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) b, *(const char *const *) a);
}

/* The experiment a finished predict run wrote to (its exp_name), so its
 * newest submission is preselected after the run. */
static const char *
last_run_experiment (JsonObject *params)
{
  JsonNode *node = json_object_get_member (params, "last_run");
  JsonObject *run;
  JsonNode *values;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  run = json_node_get_object (node);
  if (g_strcmp0 (param_string (run, "status"), "succeeded") != 0)
    return NULL;
  values = json_object_get_member (run, "values");
  if (values == NULL || !JSON_NODE_HOLDS_OBJECT (values))
    return NULL;
  return param_string (json_node_get_object (values), "exp_name");
}

/* What the CSV is for, shown under the export (the original's "How to use
 * submission files"). */
static void
add_help (JsonObject *result)
{
  static const char *const help[] = {
    "A submission CSV is what the competition's leaderboard takes: one row per test image "
    "with the text polygons the model found.",
    "1. Run a prediction (Run above): it writes outputs/<experiment>/submissions/<time>.json.",
    "2. Convert that JSON here; the CSV is written under outputs/ (the name is relative to "
    "it) and can be downloaded from this page.",
    "3. Upload the CSV (submission.csv) on the competition's submission page.",
    "By hand: " CONVERTER " --json_path outputs/<experiment>/submissions/<time>.json "
    "--output_path outputs/submission.csv [--include_confidence]",
    "Format: a header filename,polygons (and confidence with Include confidence), then one row "
    "per image; polygons are separated by |, each polygon's coordinates by spaces "
    "(x1 y1 x2 y2 ...).",
  };
  JsonArray *lines = json_array_new ();

  for (guint i = 0; i < G_N_ELEMENTS (help); i++)
    json_array_add_string_element (lines, help[i]);
  json_object_set_string_member (result, "help_title", "How to use submission files");
  json_object_set_array_member (result, "help", lines);
}

/* Fills @result with the experiments (outputs/<name>/ holding
 * submissions/, names in reverse order as the original lists them), the
 * chosen experiment and the chosen JSON (newest of the experiment unless
 * @params names one). */
static void
describe_choices (CmdbContext *context, JsonObject *params, JsonObject *result)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbOptionList) list = cmdb_context_get_options (context, "submissions", &error);
  GPtrArray *entries = list != NULL ? cmdb_option_list_get_entries (list) : NULL;
  g_autoptr (GHashTable) by_experiment
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) json_array_unref);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  JsonArray *experiments = json_array_new ();
  const char *wanted = param_string (params, "experiment");
  const char *wanted_json = param_string (params, "json_path");
  g_autofree char *wanted_json_full = NULL;
  const char *chosen = NULL;
  char *chosen_json = NULL;

  /* Pages produce data: this names the panel the core draws from it. */
  json_object_set_string_member (result, "panel", "submission-export");
  if (list == NULL)
    g_warning ("cannot list the submissions: %s", error->message);

  if (wanted == NULL || wanted[0] == '\0')
    wanted = last_run_experiment (params);
  if (wanted_json != NULL && wanted_json[0] != '\0')
    wanted_json_full = resolve_path (context, wanted_json);
  /* Grouped by experiment, each group newest first (the source's order). */
  for (guint i = 0; entries != NULL && i < entries->len; i++)
    {
      CmdbOptionEntry *entry = g_ptr_array_index (entries, i);
      JsonObject *metadata = cmdb_option_entry_get_metadata (entry);
      const char *experiment
          = json_object_get_string_member_with_default (metadata, "experiment", NULL);
      const char *path = cmdb_option_entry_get_file (entry);
      JsonArray *files;
      JsonObject *file;

      if (experiment == NULL || path == NULL)
        continue;
      files = g_hash_table_lookup (by_experiment, experiment);
      if (files == NULL)
        {
          files = json_array_new ();
          g_hash_table_insert (by_experiment, (gpointer) experiment, files);
          g_ptr_array_add (names, (gpointer) experiment);
        }
      file = json_object_new ();
      json_object_set_string_member (file, "name", strrchr (path, G_DIR_SEPARATOR) + 1);
      json_object_set_string_member (file, "path", cmdb_option_entry_get_name (entry));
      json_object_set_int_member (file, "modified",
                                  json_object_get_int_member_with_default (metadata, "mtime", 0));
      json_array_add_object_element (files, file);
      if (g_strcmp0 (experiment, wanted) == 0 && chosen_json == NULL
          && (wanted_json_full == NULL || g_str_equal (wanted_json_full, path)))
        chosen_json = g_strdup (cmdb_option_entry_get_name (entry));
    }
  /* Experiments in reverse name order, as the original lists them. */
  g_ptr_array_sort (names, compare_names_reversed);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      JsonObject *experiment = json_object_new ();

      if (g_strcmp0 (name, wanted) == 0)
        chosen = name;
      json_object_set_string_member (experiment, "name", name);
      json_object_set_array_member (experiment, "submissions",
                                    json_array_ref (g_hash_table_lookup (by_experiment, name)));
      json_array_add_object_element (experiments, experiment);
    }
  /* A path typed or uploaded, not among the experiment's files, is used
   * as given. */
  if (chosen_json == NULL && wanted_json_full != NULL)
    chosen_json = display_path (context, wanted_json_full);
  json_object_set_array_member (result, "experiments", experiments);
  add_help (result);
  if (chosen != NULL)
    json_object_set_string_member (result, "experiment", chosen);
  else
    json_object_set_null_member (result, "experiment");
  if (chosen_json != NULL)
    json_object_set_string_member (result, "json_path", chosen_json);
  else
    json_object_set_null_member (result, "json_path");
  g_free (chosen_json);
  json_object_set_string_member (
      result, "output",
      param_string (params, "output") != NULL ? param_string (params, "output") : DEFAULT_OUTPUT);
  json_object_set_boolean_member (result, "include_confidence",
                                  param_bool (params, "include_confidence"));
}

/* ---- converting ---- */

/* What the converter said, valid UTF-8 and bounded. */
static char *
output_text (const char *text)
{
  gsize size = text != NULL ? strlen (text) : 0;

  if (size <= MAX_OUTPUT_BYTES)
    return g_strdup (text != NULL ? text : "");
  {
    g_autofree char *cut = g_utf8_make_valid (text, MAX_OUTPUT_BYTES);

    return g_strconcat (cut, "\n[cut: the output was longer]", NULL);
  }
}

static void
set_outcome (JsonObject *result, gboolean ok, const char *message)
{
  json_object_set_boolean_member (result, "ok", ok);
  json_object_set_string_member (result, "message", message);
}

/* Checks an export request and builds the converter's argv. Returns
 * (transfer full) the argv (NULL-terminated) to run, with @ret_output_full
 * (transfer full) its output file; or NULL with @result already the answer
 * (what is missing, a confirmation to ask for), or NULL with @error. */
static GPtrArray *
prepare_export (CmdbContext *context, JsonObject *params, JsonObject *result,
                char **ret_output_full, GError **error)
{
  const char *json_path = param_string (params, "json_path");
  const char *output = param_string (params, "output");
  g_autofree char *json_full = NULL;
  g_autofree char *output_full = NULL;
  g_autofree char *converter = NULL;
  g_autoptr (GPtrArray) argv = NULL;
  g_autoptr (GError) launcher_error = NULL;
  g_autofree char *trimmed = NULL;
  g_autoptr (GError) refusal = NULL;

  describe_choices (context, params, result);
  json_object_set_boolean_member (result, "ok", FALSE);
  trimmed = g_strstrip (g_strdup (output != NULL ? output : ""));
  if (trimmed[0] == '\0')
    {
      set_outcome (result, FALSE, "Please provide a valid output filename");
      return NULL;
    }
  if (json_path == NULL || json_path[0] == '\0')
    {
      set_outcome (result, FALSE,
                   "No JSON file available. Select an experiment and a submission file.");
      return NULL;
    }
  json_full = resolve_path (context, json_path);
  if (!g_file_test (json_full, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *message = g_strdup_printf ("The JSON file %s does not exist", json_path);
      set_outcome (result, FALSE, message);
      return NULL;
    }
  json_object_set_string_member (result, "output", trimmed);
  output_full = cmdb_context_resolve_output (context, trimmed, &refusal);
  if (output_full == NULL)
    {
      g_autofree char *message = g_strdup_printf ("Output CSV filename: %s", refusal->message);

      json_object_set_string_member (result, "field", "output");
      set_outcome (result, FALSE, message);
      return NULL;
    }
  json_object_set_string_member (result, "json_path", json_path);
  json_object_set_string_member (result, "output_path", output_full);
  {
    /* The name inside the outputs folder, for the download. */
    g_autofree char *outputs_full
        = g_canonicalize_filename (cmdb_context_get_outputs_dir (context), NULL);
    json_object_set_string_member (result, "output_name", output_full + strlen (outputs_full) + 1);
  }
  /* Ask before overwriting: the user confirms with force. */
  if (g_file_test (output_full, G_FILE_TEST_EXISTS) && !param_bool (params, "force"))
    {
      g_autofree char *message = g_strdup_printf ("%s already exists. Overwrite it?", trimmed);
      json_object_set_boolean_member (result, "needs_confirmation", TRUE);
      set_outcome (result, FALSE, message);
      return NULL;
    }
  /* A name with folders gets them (inside outputs/, checked above). */
  {
    g_autofree char *parent = g_path_get_dirname (output_full);

    if (g_mkdir_with_parents (parent, 0755) != 0)
      {
        int saved = errno;
        g_autofree char *message
            = g_strdup_printf ("Cannot create %s: %s", parent, g_strerror (saved));
        set_outcome (result, FALSE, message);
        return NULL;
      }
  }
  converter = g_build_filename (cmdb_context_get_root (context), CONVERTER, NULL);
  if (!g_file_test (converter, G_FILE_TEST_IS_REGULAR))
    {
      set_outcome (result, FALSE,
                   "This workspace has no converter (" CONVERTER "): it cannot export CSV");
      return NULL;
    }
  argv = cmdb_command_get_launcher (context, &launcher_error);
  if (argv == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&launcher_error));
      return NULL;
    }
  g_ptr_array_set_free_func (argv, g_free);
  g_ptr_array_add (argv, g_strdup (CONVERTER));
  g_ptr_array_add (argv, g_strdup ("--json_path"));
  g_ptr_array_add (argv, g_strdup (json_full));
  g_ptr_array_add (argv, g_strdup ("--output_path"));
  g_ptr_array_add (argv, g_strdup (output_full));
  if (param_bool (params, "include_confidence"))
    g_ptr_array_add (argv, g_strdup ("--include_confidence"));
  if (param_bool (params, "force"))
    g_ptr_array_add (argv, g_strdup ("--force"));
  g_ptr_array_add (argv, NULL);
  {
    g_autofree char *shown = g_strjoinv (" ", (char **) argv->pdata);
    json_object_set_string_member (result, "command", shown);
  }
  *ret_output_full = g_steal_pointer (&output_full);
  return g_steal_pointer (&argv);
}

/* One export: the answer being built, and where the CSV goes. */
typedef struct
{
  JsonObject *result;
  char *output;
  char *output_full;
} Export;

static void
export_free (Export *export)
{
  json_object_unref (export->result);
  g_free (export->output);
  g_free (export->output_full);
  g_free (export);
}

static void
on_converted (GObject *source, GAsyncResult *async_result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Export *export = g_task_get_task_data (task);
  JsonObject *result = export->result;
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbToolResult) tool = cmdb_tool_run_finish (async_result, &error);

  if (tool == NULL)
    {
      json_object_set_string_member (result, "stdout", "");
      json_object_set_string_member (result, "stderr", "");
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        {
          g_autofree char *message
              = g_strdup_printf ("Conversion timed out after %u seconds", CONVERT_TIMEOUT_SECONDS);
          json_object_set_boolean_member (result, "timed_out", TRUE);
          set_outcome (result, FALSE, message);
        }
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      else
        {
          /* The launcher itself could not be executed: say so, as a failure. */
          g_autofree char *message = g_strdup_printf ("Unexpected error: %s", error->message);
          set_outcome (result, FALSE, message);
        }
    }
  else
    {
      g_autofree char *out = output_text (cmdb_tool_result_get_stdout (tool));
      g_autofree char *err = output_text (cmdb_tool_result_get_stderr (tool));
      int code = cmdb_tool_result_get_status (tool);

      json_object_set_string_member (result, "stdout", out);
      json_object_set_string_member (result, "stderr", err);
      if (code == 0)
        {
          g_autofree char *message
              = g_strdup_printf ("Successfully converted to %s", export->output);
          GStatBuf info;

          set_outcome (result, TRUE, message);
          if (g_stat (export->output_full, &info) == 0)
            json_object_set_int_member (result, "size", (gint64) info.st_size);
        }
      else
        {
          g_autofree char *message
              = g_strdup_printf ("Conversion failed with return code %d", code);
          json_object_set_int_member (result, "exit_code", code);
          set_outcome (result, FALSE, message);
        }
    }
  g_task_return_pointer (task, json_object_ref (result), (GDestroyNotify) json_object_unref);
}

/* The export runs the converter as a subprocess whose output is collected
 * asynchronously: the caller's main loop (the server's) keeps answering
 * other requests meanwhile. */
static void
export_csv_async (CmdbContext *context, JsonObject *params, GTask *task)
{
  Export *export = g_new0 (Export, 1);
  g_autoptr (GPtrArray) argv = NULL;
  GError *error = NULL;

  export->result = json_object_new ();
  g_task_set_task_data (task, export, (GDestroyNotify) export_free);
  argv = prepare_export (context, params, export->result, &export->output_full, &error);
  if (argv == NULL)
    {
      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, json_object_ref (export->result),
                               (GDestroyNotify) json_object_unref);
      return;
    }
  export->output = g_strdup (json_object_get_string_member (export->result, "output"));
  cmdb_tool_run_async ((const char *const *) argv->pdata, cmdb_context_get_root (context),
                       CONVERT_TIMEOUT_SECONDS * 1000, g_task_get_cancellable (task), on_converted,
                       g_object_ref (task));
}

/* ---- the page interface ---- */

static GPtrArray *
predict_list_actions (CmdbPage *page)
{
  GPtrArray *actions = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (actions, g_strdup (ACTION_LIST));
  g_ptr_array_add (actions, g_strdup (ACTION_EXPORT));
  return actions;
}

static void
predict_run_action_async (CmdbPage *page, CmdbContext *context, const char *action_id,
                          JsonObject *params, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (page, cancellable, callback, user_data);

  if (g_strcmp0 (action_id, ACTION_LIST) == 0)
    {
      JsonObject *result = json_object_new ();

      describe_choices (context, params, result);
      g_task_return_pointer (task, result, (GDestroyNotify) json_object_unref);
    }
  else if (g_strcmp0 (action_id, ACTION_EXPORT) == 0)
    export_csv_async (context, params, task);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                             "the Predict page has no action %s", action_id);
}

static JsonObject *
predict_run_action_finish (CmdbPage *page, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static JsonObject *
predict_get_rules (CmdbPage *page)
{
  return cmdb_model_page_rules_new ();
}

/* A checkpoint's architecture and components: from the run that made it. */
static JsonObject *
predict_infer_values (CmdbPage *page, CmdbContext *context, JsonObject *values)
{
  return cmdb_checkpoint_origin_infer (context, values);
}

static void
cmdb_predict_page_iface_init (CmdbPageInterface *iface)
{
  iface->get_rules = predict_get_rules;
  iface->infer_values = predict_infer_values;
  iface->list_actions = predict_list_actions;
  iface->run_action_async = predict_run_action_async;
  iface->run_action_finish = predict_run_action_finish;
}

static void
cmdb_predict_page_class_init (CmdbPredictPageClass *klass)
{
}

static void
cmdb_predict_page_class_finalize (CmdbPredictPageClass *klass)
{
}

static void
cmdb_predict_page_init (CmdbPredictPage *self)
{
}

G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);

G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  cmdb_predict_page_register_type (G_TYPE_MODULE (module));
  peas_object_module_register_extension_type (module, CMDB_TYPE_PAGE, CMDB_TYPE_PREDICT_PAGE);
}
