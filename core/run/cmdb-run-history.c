#define G_LOG_DOMAIN "cmdb-run"

/* Which recorded run wrote a file of the outputs directory: the run history
 * read by experiment. A run works in <outputs>/<experiment> (hydra.run.dir
 * of the projects Command Builder serves), and its record keeps the
 * experiment name and the form values it was built from, so a checkpoint
 * found on disk leads back to the architecture and components that made
 * it (the Test and Predict pages' infer_values). */

#include "cmdb-run-private.h"

#include <glib/gstdio.h>

#include <string.h>

/* One recorded run, for the index: its record and its creation time. */
typedef struct
{
  CmdbRun *run;
  gint64 created;
} IndexedRun;

static void
indexed_run_clear (gpointer data)
{
  IndexedRun *item = data;

  cmdb_run_unref (item->run);
}

static gint
compare_newest_first (gconstpointer a, gconstpointer b)
{
  const IndexedRun *left = a, *right = b;

  if (left->created != right->created)
    return left->created > right->created ? -1 : 1;
  return -g_strcmp0 (cmdb_run_get_id (left->run), cmdb_run_get_id (right->run));
}

static void
free_runs (gpointer data)
{
  g_array_unref (data);
}

/* {experiment: GArray of IndexedRun, newest first}. The experiment, page,
 * values and creation time of a record never change once it is written
 * (the supervisor rewrites only status, times and exit), so the index
 * depends on the runs directory alone (a run directory that comes or goes
 * changes it) and on the records not written yet: a page evaluation that
 * looks a checkpoint up stats one directory, not every record. */
static gpointer
compute_index (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
               GError **error)
{
  CmdbContext *context = user_data;
  g_autofree char *runs_dir = g_build_filename (cmdb_context_get_state_dir (context), "runs", NULL);
  g_autoptr (CmdbDirScan) scan = NULL;
  g_autoptr (GError) scan_error = NULL;
  GHashTable *index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, free_runs);
  GHashTableIter iter;
  gpointer runs;
  guint n_runs = 0;

  /* No runs directory yet: an empty history (the scan records its absence). */
  scan = cmdb_cache_scan_dir (cache, runs_dir, CMDB_SCAN_DIRS, NULL, &scan_error);
  for (guint i = 0; scan != NULL && i < cmdb_dir_scan_get_n_entries (scan); i++)
    {
      g_autofree char *directory
          = g_build_filename (runs_dir, cmdb_dir_scan_get_entry (scan, i)->name, NULL);
      g_autofree char *record = g_build_filename (directory, CMDB_RUN_RECORD_NAME, NULL);
      g_autoptr (CmdbRun) run = NULL;
      const char *experiment;
      GArray *list;
      IndexedRun item;

      /* A directory without a record yet is a run being created: the
       * index depends on the record's absence, so it is read once it
       * appears. An unreadable record is the store's to report. */
      if (!g_file_test (record, G_FILE_TEST_EXISTS))
        {
          cmdb_cache_add_dependency (cache, record);
          continue;
        }
      run = cmdb_run_load_from_directory (directory, NULL);
      if (run == NULL)
        continue;
      experiment = json_object_get_string_member_with_default (cmdb_run_get_data (run),
                                                               "experiment", NULL);
      if (experiment == NULL || experiment[0] == '\0')
        continue;
      list = g_hash_table_lookup (index, experiment);
      if (list == NULL)
        {
          list = g_array_new (FALSE, FALSE, sizeof (IndexedRun));
          g_array_set_clear_func (list, indexed_run_clear);
          g_hash_table_insert (index, g_strdup (experiment), list);
        }
      item.run = g_steal_pointer (&run);
      item.created = cmdb_run_get_created_time (item.run);
      g_array_append_val (list, item);
      n_runs++;
    }
  g_hash_table_iter_init (&iter, index);
  while (g_hash_table_iter_next (&iter, NULL, &runs))
    g_array_sort (runs, compare_newest_first);
  *ret_size = 256 + 2048 * n_runs; /* about a record's size in memory each */
  return index;
}

/* The experiment directory's name when @path lies inside one under
 * @outputs (<outputs>/<experiment>/...); NULL otherwise. */
static char *
experiment_of (const char *outputs, const char *path)
{
  gsize length = strlen (outputs);
  const char *rest;
  const char *slash;

  if (strncmp (path, outputs, length) != 0 || path[length] != G_DIR_SEPARATOR)
    return NULL;
  rest = path + length + 1;
  slash = strchr (rest, G_DIR_SEPARATOR);
  if (slash == NULL || slash == rest || slash[1] == '\0')
    return NULL;
  return g_strndup (rest, slash - rest);
}

CmdbRun *
cmdb_run_find_producer (CmdbContext *context, const char *path, const char *page)
{
  g_autofree char *full = NULL;
  g_autofree char *outputs = NULL;
  g_autofree char *experiment = NULL;
  g_autofree char *key = NULL;
  g_autoptr (GHashTable) index = NULL;
  GArray *runs;
  GStatBuf info;
  gint64 modified;

  g_return_val_if_fail (CMDB_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  full = g_canonicalize_filename (path, cmdb_context_get_root (context));
  outputs = g_canonicalize_filename (cmdb_context_get_outputs_dir (context), NULL);
  experiment = experiment_of (outputs, full);
  /* Only the file's time is read (its identity, not its content). */
  if (experiment == NULL || g_stat (full, &info) != 0)
    return NULL;
  modified = (gint64) info.st_mtim.tv_sec * G_USEC_PER_SEC + info.st_mtim.tv_nsec / 1000;

  key = g_strconcat ("run-history:by-experiment:", cmdb_context_get_state_dir (context), NULL);
  index = cmdb_cache_get_derived (cmdb_context_get_cache (context), key, compute_index, context,
                                  (GBoxedCopyFunc) g_hash_table_ref,
                                  (GDestroyNotify) g_hash_table_unref, NULL);
  runs = index != NULL ? g_hash_table_lookup (index, experiment) : NULL;
  /* A run cannot have written a file older than itself: the newest run of
   * the experiment created before the file's last change. */
  for (guint i = 0; runs != NULL && i < runs->len; i++)
    {
      IndexedRun *item = &g_array_index (runs, IndexedRun, i);

      if (item->created > modified)
        continue;
      if (page != NULL && g_strcmp0 (cmdb_run_get_page (item->run), page) != 0)
        continue;
      return cmdb_run_ref (item->run);
    }
  return NULL;
}
