#define G_LOG_DOMAIN "cmdb-sources"

/* cmdb-builtin-sources.c: the option sources built into the core:
 * models.architectures, models.optimizers, datasets, checkpoints,
 * preprocessing_profiles and submissions (docs/sources.md). Each list is a cached derived
 * value, so it is rebuilt only when a directory or file it came from
 * changed. */

#include "cmdbuilder.h"
#include "sources/cmdb-sources-private.h"

#include <string.h>

static const char *const builtin_ids[] = {
  "models.architectures",   "models.optimizers", "datasets", "checkpoints",
  "preprocessing_profiles", "submissions",       NULL,
};

gboolean
cmdb_builtin_sources_provides (const char *source_id)
{
  g_return_val_if_fail (source_id != NULL, FALSE);

  return g_strv_contains (builtin_ids, source_id);
}

const char *const *
cmdb_builtin_sources_get_ids (void)
{
  return builtin_ids;
}

static gboolean
is_missing_directory (const GError *error)
{
  return g_error_matches (error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_NOT_FOUND)
         || g_error_matches (error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_NOT_DIRECTORY);
}

static void
copy_problems (CmdbOptionList *list, GPtrArray *problems)
{
  for (guint i = 0; i < problems->len; i++)
    cmdb_option_list_add_problem (list, cmdb_problem_copy (g_ptr_array_index (problems, i)));
}

static void
set_optional_string (JsonObject *object, const char *member, const CmdbYamlNode *node)
{
  if (node != NULL && cmdb_yaml_node_get_kind (node) == CMDB_YAML_NODE_SCALAR
      && !cmdb_yaml_node_is_null (node))
    json_object_set_string_member (object, member, cmdb_yaml_node_get_scalar (node));
}

/* ------------------------------------------------------------------ */
/* models.architectures */

static gboolean
list_architectures (CmdbContext *context, CmdbOptionList *list, GError **error)
{
  g_autoptr (CmdbCatalog) catalog = cmdb_context_get_architectures (context, error);

  if (catalog == NULL)
    return FALSE;
  copy_problems (list, cmdb_catalog_get_problems (catalog));
  for (guint i = 0; i < cmdb_catalog_get_n_items (catalog); i++)
    {
      const CmdbCatalogItem *item = cmdb_catalog_get_item (catalog, i);
      g_autoptr (CmdbOptionEntry) entry = cmdb_option_entry_new (item->name, item->config_file);
      JsonObject *metadata = cmdb_option_entry_ensure_metadata (entry);
      const CmdbYamlNode *use_cases = NULL;
      guint n_use_cases = 0;

      if (item->ui_metadata != NULL)
        {
          set_optional_string (metadata, "title",
                               cmdb_yaml_node_lookup (item->ui_metadata, "title"));
          set_optional_string (metadata, "notes",
                               cmdb_yaml_node_lookup (item->ui_metadata, "notes"));
          use_cases = cmdb_yaml_node_lookup (item->ui_metadata, "use_cases");
        }
      if (use_cases != NULL && cmdb_yaml_node_get_kind (use_cases) == CMDB_YAML_NODE_SEQUENCE)
        n_use_cases = cmdb_yaml_node_get_n_children (use_cases);
      json_object_set_int_member (metadata, "use_cases", n_use_cases);
      if (item->meta_file != NULL)
        json_object_set_string_member (metadata, "ui_meta", item->meta_file);
      else
        json_object_set_null_member (metadata, "ui_meta");
      cmdb_option_list_add (list, entry);
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* models.optimizers */

static gboolean
list_optimizers (CmdbContext *context, CmdbOptionList *list, GError **error)
{
  g_autoptr (CmdbCatalog) optimizers = cmdb_context_get_optimizers (context, error);
  g_autoptr (CmdbCatalog) architectures = NULL;

  if (optimizers == NULL)
    return FALSE;
  architectures = cmdb_context_get_architectures (context, error);
  if (architectures == NULL)
    return FALSE;
  copy_problems (list, cmdb_catalog_get_problems (optimizers));

  for (guint i = 0; i < cmdb_catalog_get_n_items (optimizers); i++)
    {
      const CmdbCatalogItem *item = cmdb_catalog_get_item (optimizers, i);
      g_autoptr (CmdbOptionEntry) entry = cmdb_option_entry_new (item->name, item->config_file);
      JsonObject *metadata = cmdb_option_entry_ensure_metadata (entry);
      const CmdbYamlNode *learning_rate = NULL;

      if (item->ui_metadata != NULL)
        learning_rate = cmdb_yaml_node_lookup (item->ui_metadata, "learning_rate");
      if (learning_rate != NULL && !cmdb_yaml_node_is_null (learning_rate))
        json_object_set_member (metadata, "learning_rate", cmdb_yaml_node_to_json (learning_rate));

      /* "Compatible" for an optimizer is what the architectures recommend
       * (or pick by default): the Train page filters with it. */
      for (guint j = 0; j < cmdb_catalog_get_n_items (architectures); j++)
        {
          const CmdbCatalogItem *architecture = cmdb_catalog_get_item (architectures, j);
          g_autoptr (GPtrArray) recommended
              = cmdb_catalog_item_get_strings (architecture, "recommended_optimizers");
          g_autoptr (GPtrArray) by_default
              = cmdb_catalog_item_get_strings (architecture, "default_optimizer");

          if (g_ptr_array_find_with_equal_func (recommended, item->name, g_str_equal, NULL)
              || g_ptr_array_find_with_equal_func (by_default, item->name, g_str_equal, NULL))
            cmdb_option_entry_add_architecture (entry, architecture->name);
        }
      cmdb_option_list_add (list, entry);
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* datasets */

static gboolean
list_datasets (CmdbContext *context, CmdbOptionList *list, GError **error)
{
  CmdbCache *cache = cmdb_context_get_cache (context);
  g_autofree char *dir = g_build_filename (cmdb_context_get_configs_dir (context), "data", NULL);
  g_autoptr (CmdbDirScan) scan = NULL;
  g_autoptr (GError) local_error = NULL;

  /* Not recursive: configs/data/performance_preset/ holds presets, not
   * datasets (the original's rule). */
  scan = cmdb_cache_scan_dir (cache, dir, CMDB_SCAN_FILES, ".yaml", &local_error);
  if (scan == NULL)
    {
      if (!is_missing_directory (local_error))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      cmdb_option_list_add_problem (list, cmdb_problem_new (CMDB_SEVERITY_WARNING, dir, 0, 0,
                                                            list->source_id,
                                                            "directory does not exist; no "
                                                            "datasets are listed"));
      return TRUE;
    }
  for (guint i = 0; i < scan->n_entries; i++)
    {
      const char *file_name = scan->entries[i].name;
      g_autofree char *stem = NULL;
      g_autofree char *path = NULL;
      g_autoptr (CmdbOptionEntry) entry = NULL;

      if (strlen (file_name) <= strlen (".yaml"))
        continue;
      stem = g_strndup (file_name, strlen (file_name) - strlen (".yaml"));
      path = g_build_filename (dir, file_name, NULL);
      entry = cmdb_option_entry_new (stem, path);
      cmdb_option_list_add (list, entry);
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* checkpoints, submissions: files of the experiment directories */

typedef struct
{
  CmdbOptionEntry *entry;
  gint64 mtime_us;
} ExperimentFile;

static int
compare_newest_first (gconstpointer a, gconstpointer b)
{
  const ExperimentFile *left = a, *right = b;

  /* Newest first; equal times by name, so the order is deterministic. */
  if (left->mtime_us != right->mtime_us)
    return left->mtime_us > right->mtime_us ? -1 : 1;
  return strcmp (left->entry->name, right->entry->name);
}

/* What a file's metadata is made from, when it is first read
 * (cmdb_option_entry_set_metadata_filler()): 10,000 checkpoints are
 * listed cold on every start, their metadata only read by what shows
 * them. */
typedef struct
{
  gint64 size;
  gint64 mtime_us;
  void (*describe) (const char *file_name, JsonObject *metadata); /* (nullable) */
} FileFacts;

static void set_file_label (JsonObject *metadata, const char *file_name, gint64 file_size,
                            gint64 mtime_us);

static void
fill_file_metadata (CmdbOptionEntry *entry, JsonObject *metadata, gpointer data)
{
  const FileFacts *facts = data;
  /* file is OUTPUTS/EXPERIMENT/SUBDIR/NAME */
  g_autofree char *files_dir = g_path_get_dirname (entry->file);
  g_autofree char *experiment_dir = g_path_get_dirname (files_dir);
  g_autofree char *experiment = g_path_get_basename (experiment_dir);
  g_autofree char *file_name = g_path_get_basename (entry->file);

  json_object_set_string_member (metadata, "experiment", experiment);
  if (facts->describe != NULL)
    facts->describe (file_name, metadata);
  json_object_set_int_member (metadata, "size", facts->size);
  json_object_set_int_member (metadata, "mtime", facts->mtime_us / G_USEC_PER_SEC);
  set_file_label (metadata, file_name, facts->size, facts->mtime_us);
}

/* Epoch and step from the names PyTorch Lightning and the demo runners
 * write: epoch_09_step_000450, epoch=2-step=150, epoch=2. */
static void
parse_epoch_and_step (const char *file_name, JsonObject *metadata)
{
  static GRegex *pattern = NULL;
  g_autoptr (GMatchInfo) match = NULL;

  if (g_once_init_enter (&pattern))
    {
      GRegex *compiled
          = g_regex_new ("epoch[_=]([0-9]+)(?:[-_]step[_=]([0-9]+))?", G_REGEX_OPTIMIZE, 0, NULL);
      g_once_init_leave (&pattern, compiled);
    }
  if (!g_regex_match (pattern, file_name, 0, &match))
    return;
  {
    g_autofree char *epoch = g_match_info_fetch (match, 1);
    g_autofree char *step = g_match_info_fetch (match, 2);

    json_object_set_int_member (metadata, "epoch", g_ascii_strtoll (epoch, NULL, 10));
    if (step != NULL && step[0] != '\0')
      json_object_set_int_member (metadata, "step", g_ascii_strtoll (step, NULL, 10));
  }
}

/* What a file of an experiment shows in a list, file name first so a
 * narrow select still shows it whole: "<file> — <experiment> · <size>"
 * (a checkpoint adds "· epoch E, step S" before the size); and
 * "modified", its time in UTC (ISO 8601), which the web UI appends in the
 * reader's local time. */
static void
set_file_label (JsonObject *metadata, const char *file_name, gint64 file_size, gint64 mtime_us)
{
  GString *label = g_string_new (file_name);
  g_autofree char *size = g_format_size (file_size);
  g_autoptr (GDateTime) modified = g_date_time_new_from_unix_utc (mtime_us / G_USEC_PER_SEC);

  g_string_append_printf (label, " \u2014 %s",
                          json_object_get_string_member (metadata, "experiment"));
  if (json_object_has_member (metadata, "epoch"))
    {
      g_string_append_printf (label, " \u00b7 epoch %" G_GINT64_FORMAT,
                              json_object_get_int_member (metadata, "epoch"));
      if (json_object_has_member (metadata, "step"))
        g_string_append_printf (label, ", step %" G_GINT64_FORMAT,
                                json_object_get_int_member (metadata, "step"));
    }
  g_string_append_printf (label, " \u00b7 %s", size);
  json_object_set_string_member (metadata, "label", label->str);
  g_string_free (label, TRUE);
  if (modified != NULL)
    {
      g_autofree char *text = g_date_time_format (modified, "%Y-%m-%dT%H:%M:%SZ");

      json_object_set_string_member (metadata, "modified", text);
    }
}

/* The files <outputs>/<experiment>/@subdir/<name>@suffix, one experiment level,
 * newest first, each with its experiment, size and times; @describe
 * (nullable) adds what the file's name says. @what names them in the
 * warning about a missing outputs directory. */
static gboolean
list_experiment_files (CmdbContext *context, CmdbOptionList *list, const char *subdir,
                       const char *suffix, const char *what,
                       void (*describe) (const char *file_name, JsonObject *metadata),
                       GError **error)
{
  CmdbCache *cache = cmdb_context_get_cache (context);
  const char *outputs_dir = cmdb_context_get_outputs_dir (context);
  const char *root = cmdb_context_get_root (context);
  g_autoptr (CmdbDirScan) experiments = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GArray) found = g_array_new (FALSE, FALSE, sizeof (ExperimentFile));

  experiments = cmdb_cache_scan_dir (cache, outputs_dir, CMDB_SCAN_DIRS, NULL, &local_error);
  if (experiments == NULL)
    {
      if (!is_missing_directory (local_error))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      cmdb_option_list_add_problem (
          list, cmdb_problem_new (CMDB_SEVERITY_WARNING, outputs_dir, 0, 0, list->source_id,
                                  "directory does not exist; no %s are listed until a run "
                                  "creates it",
                                  what));
      return TRUE;
    }

  for (guint i = 0; i < experiments->n_entries; i++)
    {
      const char *experiment = experiments->entries[i].name;
      g_autofree char *experiment_dir = g_build_filename (outputs_dir, experiment, NULL);
      g_autofree char *files_dir = g_build_filename (experiment_dir, subdir, NULL);
      g_autoptr (CmdbDirScan) files = NULL;
      gsize root_length = strlen (root);
      /* Names are relative to the root when the outputs are inside it. */
      gboolean inside_root = strncmp (files_dir, root, root_length) == 0
                             && files_dir[root_length] == G_DIR_SEPARATOR;
      g_autoptr (GError) scan_error = NULL;

      /* The experiment directory changes when @subdir appears in it; the
       * failed scan below records @subdir as absent too. */
      cmdb_cache_add_dependency (cache, experiment_dir);
      files = cmdb_cache_scan_dir (cache, files_dir, CMDB_SCAN_FILES, suffix, &scan_error);
      if (files == NULL)
        {
          if (!is_missing_directory (scan_error))
            cmdb_option_list_add_problem (list, cmdb_problem_from_error (CMDB_SEVERITY_WARNING,
                                                                         scan_error, files_dir,
                                                                         list->source_id));
          continue;
        }

      for (guint j = 0; j < files->n_entries; j++)
        {
          const CmdbDirEntry *file = &files->entries[j];
          /* Not g_build_filename(): 10,000 of them, and neither part needs
           * normalising. */
          g_autofree char *path = g_strconcat (files_dir, G_DIR_SEPARATOR_S, file->name, NULL);
          ExperimentFile item;
          FileFacts *facts = g_new (FileFacts, 1);

          item.entry = cmdb_option_entry_new (inside_root ? path + root_length + 1 : path, path);
          item.mtime_us = file->mtime_us;
          /* Not YAML: never read for a description. */
          cmdb_option_entry_set_description (item.entry, NULL);
          facts->size = file->size;
          facts->mtime_us = file->mtime_us;
          facts->describe = describe;
          cmdb_option_entry_set_metadata_filler (item.entry, fill_file_metadata, facts, g_free,
                                                 TRUE);
          g_array_append_val (found, item);
        }
    }

  g_array_sort (found, compare_newest_first);
  for (guint i = 0; i < found->len; i++)
    {
      CmdbOptionEntry *entry = g_array_index (found, ExperimentFile, i).entry;

      cmdb_option_list_add (list, entry);
      cmdb_option_entry_unref (entry);
    }
  return TRUE;
}

static gboolean
list_checkpoints (CmdbContext *context, CmdbOptionList *list, GError **error)
{
  return list_experiment_files (context, list, "checkpoints", ".ckpt", "checkpoints",
                                parse_epoch_and_step, error);
}

/* ------------------------------------------------------------------ */
/* submissions: what a prediction wrote (the Predict page's export) */

static gboolean
list_submissions (CmdbContext *context, CmdbOptionList *list, GError **error)
{
  return list_experiment_files (context, list, "submissions", ".json", "submissions", NULL, error);
}

/* ------------------------------------------------------------------ */
/* preprocessing_profiles */

static gboolean
list_profiles (CmdbContext *context, CmdbOptionList *list, GError **error)
{
  g_autoptr (GPtrArray) profiles = NULL;
  g_autofree char *path = g_build_filename (cmdb_context_get_configs_dir (context), "ui_meta",
                                            "preprocessing_profiles.yaml", NULL);
  g_autoptr (CmdbYamlDocument) document = NULL;
  g_autoptr (GError) file_error = NULL;
  gboolean file_exists;

  profiles = cmdb_context_get_profiles (context, list->problems, error);
  if (profiles == NULL)
    return FALSE;
  /* A cache hit (the profiles were just read from it): tells whether the
   * file exists, even when it does not parse. */
  document = cmdb_cache_get_yaml (cmdb_context_get_cache (context), path, &file_error);
  file_exists = document != NULL
                || !g_error_matches (file_error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_NOT_FOUND);
  for (guint i = 0; i < profiles->len; i++)
    {
      CmdbProfile *profile = g_ptr_array_index (profiles, i);
      g_autoptr (CmdbOptionEntry) entry = NULL;
      JsonObject *metadata;
      JsonArray *overrides = json_array_sized_new (profile->overrides->len);

      entry = cmdb_option_entry_new (profile->key, file_exists ? path : NULL);
      cmdb_option_entry_set_description (
          entry, profile->description[0] != '\0' ? profile->description : NULL);
      metadata = cmdb_option_entry_ensure_metadata (entry);
      json_object_set_string_member (metadata, "label", profile->label);
      json_object_set_string_member (metadata, "description", profile->description);
      for (guint j = 0; j < profile->overrides->len; j++)
        json_array_add_string_element (overrides, g_ptr_array_index (profile->overrides, j));
      json_object_set_array_member (metadata, "overrides", overrides);
      cmdb_option_list_add (list, entry);
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Dispatch */

typedef gboolean (*ListFunc) (CmdbContext *context, CmdbOptionList *list, GError **error);

typedef struct
{
  CmdbContext *context;
  const char *source_id;
  ListFunc fill;
} BuiltinRequest;

static gpointer
compute_builtin_list (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
                      GError **error)
{
  const BuiltinRequest *request = user_data;
  g_autoptr (CmdbOptionList) list = cmdb_option_list_new (request->source_id);

  if (!request->fill (request->context, list, error))
    return NULL;
  *ret_size = cmdb_option_list_get_size (list);
  return g_steal_pointer (&list);
}

CmdbOptionList *
cmdb_builtin_sources_list (CmdbContext *context, const char *source_id, GError **error)
{
  BuiltinRequest request = { context, source_id, NULL };
  g_autofree char *key = NULL;

  g_return_val_if_fail (CMDB_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (source_id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_str_equal (source_id, "models.architectures"))
    request.fill = list_architectures;
  else if (g_str_equal (source_id, "models.optimizers"))
    request.fill = list_optimizers;
  else if (g_str_equal (source_id, "datasets"))
    request.fill = list_datasets;
  else if (g_str_equal (source_id, "checkpoints"))
    request.fill = list_checkpoints;
  else if (g_str_equal (source_id, "submissions"))
    request.fill = list_submissions;
  else if (g_str_equal (source_id, "preprocessing_profiles"))
    request.fill = list_profiles;
  else
    {
      g_set_error (error, CMDB_OPTION_SOURCE_ERROR, CMDB_OPTION_SOURCE_ERROR_UNKNOWN_SOURCE,
                   "'%s' is not a built-in option source", source_id);
      return NULL;
    }

  /* ExperimentFile names are relative to the root and come from the outputs
   * directory, both configurable apart from the configs directory. */
  if (request.fill == list_checkpoints || request.fill == list_submissions)
    key = g_strdup_printf ("source:%s:%s:%s", source_id, cmdb_context_get_root (context),
                           cmdb_context_get_outputs_dir (context));
  else
    key = g_strdup_printf ("source:%s:%s", source_id, cmdb_context_get_configs_dir (context));
  return cmdb_cache_get_derived (cmdb_context_get_cache (context), key, compute_builtin_list,
                                 &request, (GBoxedCopyFunc) cmdb_option_list_ref,
                                 (GDestroyNotify) cmdb_option_list_unref, error);
}
