/* The built-in sources and the component lists on a copy of the demo
 * workspace (white-box: no plugin host), compared with golden files that
 * record the original's lists (spec §3.7) next to ours. Also: checkpoints
 * appearing at runtime, cache counters, missing directories and broken
 * metadata. */
#define G_LOG_DOMAIN "cmdb-test"

#include "test-util.h"
#include "sources/cmdb-sources-private.h"

#include <glib/gstdio.h>
#include <string.h>
#include <utime.h>

typedef struct
{
  char *tmp;
  char *workspace;
  CmdbConfig *config;
  CmdbCache *cache;
  CmdbContext *context;
} Fixture;

static const char *const all_sources[] = {
  "models.architectures",   "models.optimizers", "datasets",         "checkpoints",
  "preprocessing_profiles", "models.encoders",   "models.backbones", "models.decoders",
  "models.heads",           "models.losses",
};

/* Fixed checkpoint times, so "newest first" is deterministic in the copy. */
static void
set_mtime (const char *path, gint64 seconds)
{
  struct utimbuf times = { (time_t) seconds, (time_t) seconds };

  assert_int_equal (g_utime (path, (struct utimbuf *) &times), 0);
}

static char *
workspace_path (Fixture *fixture, const char *relative)
{
  return g_build_filename (fixture->workspace, relative, NULL);
}

static int
setup (void **state)
{
  Fixture *fixture = g_new0 (Fixture, 1);
  g_autofree char *demo = cmdb_test_source_path ("examples/ocr-workspace");
  static const struct
  {
    const char *path;
    gint64 mtime;
  } checkpoints[] = {
    { "outputs/ocr_training-craft-craft_decoder-resnet50/checkpoints/epoch=2-step=150.ckpt",
      1700000100 },
    { "outputs/ocr_training-dbnet-unet-resnet18/checkpoints/epoch_09_step_000450.ckpt",
      1700000200 },
    { "outputs/ocr_training-dbnet-unet-resnet18/checkpoints/last.ckpt", 1700000200 },
  };

  fixture->tmp = cmdb_test_make_tempdir ();
  cmdb_test_isolate_environment (fixture->tmp);
  fixture->workspace = g_build_filename (fixture->tmp, "workspace", NULL);
  cmdb_test_copy_tree (demo, fixture->workspace);
  for (gsize i = 0; i < G_N_ELEMENTS (checkpoints); i++)
    {
      g_autofree char *path = workspace_path (fixture, checkpoints[i].path);
      set_mtime (path, checkpoints[i].mtime);
    }
  fixture->config = cmdb_config_new ();
  fixture->cache = cmdb_cache_new (0);
  fixture->context = cmdb_context_new (fixture->workspace, fixture->config, fixture->cache);
  *state = fixture;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *fixture = *state;

  g_clear_object (&fixture->context);
  g_clear_pointer (&fixture->cache, cmdb_cache_unref);
  g_clear_pointer (&fixture->config, cmdb_config_unref);
  cmdb_test_remove_tree (fixture->tmp);
  g_free (fixture->tmp);
  g_free (fixture->workspace);
  g_free (fixture);
  return 0;
}

static CmdbOptionList *
list_source (Fixture *fixture, const char *source_id)
{
  g_autoptr (GError) error = NULL;
  CmdbComponentKind kind;
  CmdbOptionList *list;

  if (cmdb_component_kind_for_source (source_id, &kind))
    list = cmdb_component_source_list (fixture->context, kind, source_id, &error);
  else
    list = cmdb_builtin_sources_list (fixture->context, source_id, &error);
  if (list == NULL)
    {
      print_error ("%s: %s\n", source_id, error->message);
      fail ();
    }
  assert_string_equal (list->source_id, source_id);
  return list;
}

static char *
join_names (CmdbOptionList *list, const char *architecture)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < list->entries->len; i++)
    {
      CmdbOptionEntry *entry = g_ptr_array_index (list->entries, i);

      if (architecture != NULL
          && !g_ptr_array_find_with_equal_func (entry->architectures, architecture, g_str_equal,
                                                NULL))
        continue;
      g_string_append_printf (text, "%s%s", text->len > 0 ? ", " : "", entry->name);
    }
  return g_string_free (text, FALSE);
}

static char *
problems_text (CmdbOptionList *list)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < list->problems->len; i++)
    {
      g_autofree char *line = cmdb_problem_to_string (g_ptr_array_index (list->problems, i));
      g_string_append_printf (text, "%s\n", line);
    }
  return g_string_free (text, FALSE);
}

/* The golden file without its `#` comment lines (which hold the original's
 * lists for the reader). */
static char *
read_golden (const char *name)
{
  g_autofree char *relative = g_strconcat ("tests/sources/golden/", name, NULL);
  g_autofree char *path = cmdb_test_source_path (relative);
  g_autofree char *text = cmdb_test_read_file (path);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  GString *kept = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '#' && lines[i][0] != '\0')
      g_string_append_printf (kept, "%s\n", lines[i]);
  return g_string_free (kept, FALSE);
}

static void
test_golden_lists (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (GString) actual = g_string_new (NULL);
  g_autofree char *expected = read_golden ("lists.txt");

  for (gsize i = 0; i < G_N_ELEMENTS (all_sources); i++)
    {
      g_autoptr (CmdbOptionList) list = list_source (fixture, all_sources[i]);
      g_autofree char *names = join_names (list, NULL);
      g_autofree char *problems = problems_text (list);

      assert_string_equal (problems, "");
      g_string_append_printf (actual, "%s: %s\n", all_sources[i], names);
    }
  cmdb_test_assert_text_equal (expected, actual->str, "tests/sources/golden/lists.txt");
}

static void
assert_filtered_golden (Fixture *fixture, const char *architecture)
{
  static const char *const filtered_sources[] = {
    "models.backbones", "models.decoders", "models.heads", "models.losses", "models.optimizers",
  };
  g_autofree char *golden = g_strdup_printf ("filtered-%s.txt", architecture);
  g_autofree char *expected = read_golden (golden);
  g_autoptr (GString) actual = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (filtered_sources); i++)
    {
      g_autoptr (CmdbOptionList) list = list_source (fixture, filtered_sources[i]);
      g_autofree char *names = join_names (list, architecture);

      g_string_append_printf (actual, "%s: %s\n", filtered_sources[i], names);
    }
  cmdb_test_assert_text_equal (expected, actual->str, golden);
}

static void
test_filtered_dbnet (void **state)
{
  assert_filtered_golden (*state, "dbnet");
}

static void
test_filtered_craft (void **state)
{
  assert_filtered_golden (*state, "craft");
}

static void
test_filtered_dbnetpp (void **state)
{
  assert_filtered_golden (*state, "dbnetpp");
}

static void
test_component_metadata (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbOptionList) decoders = list_source (fixture, "models.decoders");
  g_autoptr (CmdbOptionList) datasets = list_source (fixture, "datasets");
  g_autofree char *fpn_file = workspace_path (fixture, "configs/preset/models/decoder/fpn.yaml");
  CmdbOptionEntry *fpn = cmdb_option_list_lookup (decoders, "fpn");
  CmdbOptionEntry *fpn_decoder = cmdb_option_list_lookup (decoders, "fpn_decoder");
  CmdbOptionEntry *base = cmdb_option_list_lookup (datasets, "base");

  assert_non_null (fpn);
  assert_string_equal (fpn->file, fpn_file);
  assert_string_equal (
      json_object_get_string_member (cmdb_option_entry_get_metadata (fpn), "origin"), "preset");
  assert_int_equal (fpn->architectures->len, 0);
  /* The top-level description: string. */
  assert_string_equal (cmdb_option_entry_get_description (fpn, fixture->context),
                       "Feature pyramid network that merges backbone stages top-down.");

  assert_non_null (fpn_decoder);
  assert_null (fpn_decoder->file);
  assert_string_equal (
      json_object_get_string_member (cmdb_option_entry_get_metadata (fpn_decoder), "origin"),
      "architecture");
  assert_int_equal (fpn_decoder->architectures->len, 2);
  assert_string_equal (g_ptr_array_index (fpn_decoder->architectures, 0), "dbnet");
  assert_string_equal (g_ptr_array_index (fpn_decoder->architectures, 1), "dbnetpp");
  assert_null (cmdb_option_entry_get_description (fpn_decoder, fixture->context));

  /* No description key: the leading comment block, without `# @package`. */
  assert_non_null (base);
  assert_string_equal (cmdb_option_entry_get_description (base, fixture->context),
                       "Shared data settings: dataset locations, transforms and data loaders. "
                       "The other data configs extend this one.");
}

static void
test_architecture_and_optimizer_metadata (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbOptionList) architectures = list_source (fixture, "models.architectures");
  g_autoptr (CmdbOptionList) optimizers = list_source (fixture, "models.optimizers");
  g_autofree char *dbnet_meta
      = workspace_path (fixture, "configs/ui_meta/architectures/dbnet.yaml");
  CmdbOptionEntry *dbnet = cmdb_option_list_lookup (architectures, "dbnet");
  CmdbOptionEntry *adamw = cmdb_option_list_lookup (optimizers, "adamw");
  JsonObject *learning_rate;

  assert_non_null (dbnet);
  assert_int_equal (
      json_object_get_int_member (cmdb_option_entry_get_metadata (dbnet), "use_cases"), 3);
  assert_string_equal (
      json_object_get_string_member (cmdb_option_entry_get_metadata (dbnet), "ui_meta"),
      dbnet_meta);
  assert_true (json_object_has_member (cmdb_option_entry_get_metadata (dbnet), "notes"));

  assert_non_null (adamw);
  learning_rate
      = json_object_get_object_member (cmdb_option_entry_get_metadata (adamw), "learning_rate");
  assert_true (json_object_get_double_member (learning_rate, "default") == 0.0003);
  assert_true (json_object_get_double_member (learning_rate, "min") == 5e-6);
  assert_int_equal (adamw->architectures->len, 2);
  assert_string_equal (g_ptr_array_index (adamw->architectures, 0), "dbnet");
  assert_string_equal (g_ptr_array_index (adamw->architectures, 1), "dbnetpp");
}

static void
test_checkpoint_metadata (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbOptionList) list = list_source (fixture, "checkpoints");
  CmdbOptionEntry *lightning, *demo, *last;

  assert_int_equal (list->entries->len, 3);
  demo = g_ptr_array_index (list->entries, 0);
  last = g_ptr_array_index (list->entries, 1);
  lightning = g_ptr_array_index (list->entries, 2);
  /* Newest first; equal times by name. */
  assert_string_equal (
      demo->name, "outputs/ocr_training-dbnet-unet-resnet18/checkpoints/epoch_09_step_000450.ckpt");
  assert_string_equal (last->name,
                       "outputs/ocr_training-dbnet-unet-resnet18/checkpoints/last.ckpt");
  assert_string_equal (lightning->name, "outputs/ocr_training-craft-craft_decoder-resnet50/"
                                        "checkpoints/epoch=2-step=150.ckpt");

  assert_string_equal (
      json_object_get_string_member (cmdb_option_entry_get_metadata (demo), "experiment"),
      "ocr_training-dbnet-unet-resnet18");
  assert_int_equal (json_object_get_int_member (cmdb_option_entry_get_metadata (demo), "epoch"), 9);
  assert_int_equal (json_object_get_int_member (cmdb_option_entry_get_metadata (demo), "step"),
                    450);
  assert_int_equal (json_object_get_int_member (cmdb_option_entry_get_metadata (demo), "size"), 16);
  assert_int_equal (json_object_get_int_member (cmdb_option_entry_get_metadata (demo), "mtime"),
                    1700000200);
  assert_int_equal (
      json_object_get_int_member (cmdb_option_entry_get_metadata (lightning), "epoch"), 2);
  assert_int_equal (json_object_get_int_member (cmdb_option_entry_get_metadata (lightning), "step"),
                    150);
  assert_false (json_object_has_member (cmdb_option_entry_get_metadata (last), "epoch"));
  assert_false (json_object_has_member (cmdb_option_entry_get_metadata (last), "step"));
  /* A checkpoint is never read as YAML for a description. */
  assert_null (cmdb_option_entry_get_description (demo, fixture->context));
}

static void
test_checkpoint_epoch_only (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path
      = cmdb_test_write_file (fixture->workspace, "outputs/run/checkpoints/epoch=7.ckpt", "x");
  g_autoptr (CmdbOptionList) list = NULL;
  CmdbOptionEntry *entry;

  list = list_source (fixture, "checkpoints");
  entry = cmdb_option_list_lookup (list, "outputs/run/checkpoints/epoch=7.ckpt");
  assert_non_null (entry);
  assert_int_equal (json_object_get_int_member (cmdb_option_entry_get_metadata (entry), "epoch"),
                    7);
  assert_false (json_object_has_member (cmdb_option_entry_get_metadata (entry), "step"));
}

static guint64
dir_scans (Fixture *fixture)
{
  CmdbCacheStats stats;

  cmdb_cache_get_stats (fixture->cache, &stats);
  return stats.dir_scans;
}

static void
test_new_checkpoint_appears (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbOptionList) first = list_source (fixture, "checkpoints");
  g_autoptr (CmdbOptionList) second = NULL;
  g_autoptr (CmdbOptionList) third = NULL;
  g_autofree char *dir = workspace_path (fixture, "outputs/ocr_training-dbnet-unet-resnet18/"
                                                  "checkpoints");
  g_autofree char *path = NULL;
  guint64 scans;

  assert_int_equal (first->entries->len, 3);

  /* Nothing changed: the same list, no directory read again. */
  scans = dir_scans (fixture);
  second = list_source (fixture, "checkpoints");
  assert_ptr_equal (second, first);
  assert_int_equal (dir_scans (fixture), scans);

  path = cmdb_test_write_file (dir, "epoch_10_step_000500.ckpt", "new checkpoint");
  set_mtime (path, 1700000300);
  /* Coarse directory timestamps must not hide the change. */
  cmdb_test_touch (dir, 5);

  third = list_source (fixture, "checkpoints");
  assert_ptr_not_equal (third, first);
  assert_int_equal (third->entries->len, 4);
  assert_string_equal (((CmdbOptionEntry *) g_ptr_array_index (third->entries, 0))->name,
                       "outputs/ocr_training-dbnet-unet-resnet18/checkpoints/"
                       "epoch_10_step_000500.ckpt");
  /* Only the changed checkpoints directory was read again: not outputs/,
   * not the other experiment's checkpoints/. */
  assert_int_equal (dir_scans (fixture), scans + 1);
}

static void
test_new_checkpoints_directory_appears (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbOptionList) first = list_source (fixture, "checkpoints");
  g_autoptr (CmdbOptionList) second = NULL;
  g_autoptr (CmdbOptionList) third = NULL;
  g_autofree char *experiment
      = workspace_path (fixture, "outputs/ocr_training-dbnet-pan_decoder-mobilenetv3_small_050");
  g_autofree char *path = NULL;
  g_autofree char *new_experiment = NULL;
  guint64 scans = dir_scans (fixture);

  /* An experiment still running: no checkpoints/ yet. */
  path = cmdb_test_write_file (experiment, "checkpoints/epoch_00_step_000050.ckpt", "x");
  cmdb_test_touch (experiment, 5);
  second = list_source (fixture, "checkpoints");
  assert_int_equal (second->entries->len, 4);
  assert_non_null (cmdb_option_list_lookup (second, "outputs/ocr_training-dbnet-pan_decoder-"
                                                    "mobilenetv3_small_050/checkpoints/"
                                                    "epoch_00_step_000050.ckpt"));
  assert_int_equal (dir_scans (fixture), scans + 1);

  /* A new experiment: outputs/ and its checkpoints/ are read, nothing else. */
  scans = dir_scans (fixture);
  g_free (cmdb_test_write_file (fixture->workspace, "outputs/new_run/checkpoints/last.ckpt", "x"));
  new_experiment = workspace_path (fixture, "outputs");
  cmdb_test_touch (new_experiment, 10);
  third = list_source (fixture, "checkpoints");
  assert_int_equal (third->entries->len, 5);
  assert_non_null (cmdb_option_list_lookup (third, "outputs/new_run/checkpoints/last.ckpt"));
  assert_int_equal (dir_scans (fixture), scans + 2);
}

static void
test_unchanged_lists_not_recomputed (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbOptionList) first = list_source (fixture, "models.decoders");
  g_autoptr (CmdbOptionList) second = NULL;
  g_autoptr (CmdbOptionList) third = NULL;
  g_autofree char *meta = workspace_path (fixture, "configs/ui_meta/architectures/craft.yaml");
  g_autofree char *text = NULL;
  CmdbCacheStats before, after;

  cmdb_cache_get_stats (fixture->cache, &before);
  second = list_source (fixture, "models.decoders");
  cmdb_cache_get_stats (fixture->cache, &after);
  assert_ptr_equal (first, second);
  assert_int_equal (after.yaml_parses, before.yaml_parses);
  assert_int_equal (after.dir_scans, before.dir_scans);

  /* An architecture's metadata changes: the list follows. */
  text = cmdb_test_read_file (meta);
  {
    g_autoptr (GString) edited = g_string_new (text);
    g_string_replace (edited, "    - craft_decoder\n", "    - craft_decoder\n    - craft_fast\n",
                      1);
    g_free (cmdb_test_write_file (fixture->workspace, "configs/ui_meta/architectures/craft.yaml",
                                  edited->str));
  }
  cmdb_test_touch (meta, 5);
  third = list_source (fixture, "models.decoders");
  assert_ptr_not_equal (third, first);
  assert_non_null (cmdb_option_list_lookup (third, "craft_fast"));
}

static void
test_missing_data_directory (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *data = workspace_path (fixture, "configs/data");
  g_autoptr (CmdbOptionList) datasets = NULL;
  g_autoptr (CmdbOptionList) architectures = NULL;
  g_autofree char *problems = NULL;
  g_autofree char *expected = NULL;

  cmdb_test_remove_tree (data);
  datasets = list_source (fixture, "datasets");
  assert_int_equal (datasets->entries->len, 0);
  problems = problems_text (datasets);
  expected = g_strdup_printf ("%s: warning: [datasets] directory does not exist; no datasets are "
                              "listed\n",
                              data);
  assert_string_equal (problems, expected);

  architectures = list_source (fixture, "models.architectures");
  assert_int_equal (architectures->entries->len, 3);
  assert_int_equal (architectures->problems->len, 0);
}

static void
test_missing_architectures_directory (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *dir = workspace_path (fixture, "configs/model/architectures");
  g_autoptr (CmdbOptionList) architectures = NULL;
  g_autoptr (CmdbOptionList) decoders = NULL;
  g_autoptr (CmdbOptionList) datasets = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *problems = NULL;
  g_autofree char *names = NULL;

  cmdb_test_remove_tree (dir);
  architectures = list_source (fixture, "models.architectures");
  assert_int_equal (architectures->entries->len, 0);
  expected = g_strdup_printf ("%s: warning: directory does not exist; no architectures are "
                              "listed\n",
                              dir);
  problems = problems_text (architectures);
  assert_string_equal (problems, expected);

  /* The decoders keep their files; the same single warning explains why the
   * architectures' names are missing. */
  decoders = list_source (fixture, "models.decoders");
  names = join_names (decoders, NULL);
  assert_string_equal (names, "craft_decoder, dbpp_decoder, fpn, pan, unet");
  g_free (problems);
  problems = problems_text (decoders);
  assert_string_equal (problems, expected);

  datasets = list_source (fixture, "datasets");
  assert_int_equal (datasets->entries->len, 5);
  assert_int_equal (datasets->problems->len, 0);
}

static void
test_missing_preset_directory (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *dir = workspace_path (fixture, "configs/preset/models/head");
  g_autoptr (CmdbOptionList) heads = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *problems = NULL;
  g_autofree char *names = NULL;

  cmdb_test_remove_tree (dir);
  heads = list_source (fixture, "models.heads");
  names = join_names (heads, NULL);
  assert_string_equal (names, "craft_head, db_head, dbpp_head, dbnetpp_head");
  expected = g_strdup_printf ("%s: warning: [models.heads] directory does not exist; no preset "
                              "heads are listed\n",
                              dir);
  problems = problems_text (heads);
  assert_string_equal (problems, expected);
}

static void
test_corrupt_ui_meta (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *meta
      = cmdb_test_write_file (fixture->workspace, "configs/ui_meta/architectures/dbnet.yaml",
                              "ui_metadata:\n"
                              "  default_decoder: unet\n"
                              "  compatible_decoders: [unet, fpn_decoder\n"
                              "  notes: broken\n");
  g_autoptr (CmdbOptionList) architectures = NULL;
  g_autoptr (CmdbOptionList) decoders = NULL;
  g_autoptr (CmdbOptionList) datasets = NULL;
  g_autoptr (CmdbOptionList) checkpoints = NULL;
  CmdbProblem *problem;
  CmdbOptionEntry *dbnet;
  g_autofree char *names = NULL;

  architectures = list_source (fixture, "models.architectures");
  names = join_names (architectures, NULL);
  assert_string_equal (names, "craft, dbnet, dbnetpp");
  assert_int_equal (architectures->problems->len, 1);
  problem = g_ptr_array_index (architectures->problems, 1 - 1);
  assert_int_equal (problem->severity, CMDB_SEVERITY_ERROR);
  assert_string_equal (problem->path, meta);
  assert_string_equal (problem->subject, "dbnet");
  /* libyaml notices the unclosed flow sequence at the next key. */
  assert_int_equal (problem->line, 4);
  assert_true (problem->column > 0);
  /* Listed without metadata. */
  dbnet = cmdb_option_list_lookup (architectures, "dbnet");
  assert_non_null (dbnet);
  assert_int_equal (
      json_object_get_int_member (cmdb_option_entry_get_metadata (dbnet), "use_cases"), 0);
  assert_false (json_object_has_member (cmdb_option_entry_get_metadata (dbnet), "notes"));

  /* The decoders lose dbnet's names only and carry the same error. */
  decoders = list_source (fixture, "models.decoders");
  g_free (names);
  names = join_names (decoders, NULL);
  assert_string_equal (names, "craft_decoder, dbpp_decoder, fpn, pan, unet, dbnetpp_decoder, "
                              "fpn_decoder, pan_decoder");
  assert_int_equal (decoders->problems->len, 1);
  g_free (names);
  names = join_names (decoders, "dbnet");
  assert_string_equal (names, "");

  datasets = list_source (fixture, "datasets");
  checkpoints = list_source (fixture, "checkpoints");
  assert_int_equal (datasets->entries->len, 5);
  assert_int_equal (datasets->problems->len, 0);
  assert_int_equal (checkpoints->entries->len, 3);
  assert_int_equal (checkpoints->problems->len, 0);
}

static void
test_backbones_file (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbOptionList) backbones = NULL;
  g_autofree char *names = NULL;
  CmdbOptionEntry *entry;

  g_free (cmdb_test_write_file (fixture->workspace, "configs/ui_meta/backbones.yaml",
                                "backbones:\n"
                                "  - resnet50\n"
                                "  - name: convnext_tiny\n"
                                "    description: \"ConvNeXt tiny from timm.\"\n"
                                "  - resnet18\n"));
  backbones = list_source (fixture, "models.backbones");
  names = join_names (backbones, NULL);
  /* The workspace list replaces the built-in names; the architectures'
   * names follow (craft first: its compatible list). */
  assert_string_equal (names, "resnet50, convnext_tiny, resnet18, resnet34, "
                              "mobilenetv3_small_050, efficientnet_b0, vgg16_bn, vgg19_bn, "
                              "resnet101");
  entry = cmdb_option_list_lookup (backbones, "convnext_tiny");
  assert_string_equal (
      json_object_get_string_member (cmdb_option_entry_get_metadata (entry), "origin"),
      "backbones-file");
  assert_string_equal (cmdb_option_entry_get_description (entry, fixture->context),
                       "ConvNeXt tiny from timm.");
  assert_int_equal (backbones->problems->len, 0);
}

static void
test_backbones_file_wrong_shape (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = cmdb_test_write_file (
      fixture->workspace, "configs/ui_meta/backbones.yaml", "backbones: resnet50\n");
  g_autoptr (CmdbOptionList) backbones = list_source (fixture, "models.backbones");
  g_autofree char *problems = problems_text (backbones);
  g_autofree char *expected = g_strdup_printf ("%s:1:12: error: [models.backbones] expected a "
                                               "top-level `backbones:` list of names\n",
                                               path);

  assert_string_equal (problems, expected);
  /* Only what the architectures name. */
  assert_int_equal (backbones->entries->len, 8);
}

static void
test_backbones_without_timm_preset (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *timm = workspace_path (fixture, "configs/preset/models/encoder/"
                                                   "timm_backbone.yaml");
  g_autoptr (CmdbOptionList) backbones = NULL;
  g_autofree char *names = NULL;

  assert_int_equal (g_unlink (timm), 0);
  backbones = list_source (fixture, "models.backbones");
  names = join_names (backbones, NULL);
  /* craft: default resnet18, then its compatible list; dbnetpp adds resnet101. */
  assert_string_equal (names, "resnet18, resnet34, resnet50, mobilenetv3_small_050, "
                              "efficientnet_b0, vgg16_bn, vgg19_bn, resnet101");
  assert_string_equal (
      json_object_get_string_member (
          cmdb_option_entry_get_metadata (cmdb_option_list_lookup (backbones, "resnet18")),
          "origin"),
      "architecture");
}

static void
test_profiles (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbOptionList) profiles = list_source (fixture, "preprocessing_profiles");
  CmdbOptionEntry *none = g_ptr_array_index (profiles->entries, 0);
  CmdbOptionEntry *office = cmdb_option_list_lookup (profiles, "lens_style_office");
  JsonArray *overrides;

  assert_string_equal (none->name, "none");
  assert_string_equal (
      json_object_get_string_member (cmdb_option_entry_get_metadata (none), "label"),
      "No preprocessing (dataset defaults)");
  assert_int_equal (json_array_get_length (json_object_get_array_member (
                        cmdb_option_entry_get_metadata (none), "overrides")),
                    0);
  overrides = json_object_get_array_member (cmdb_option_entry_get_metadata (office), "overrides");
  assert_int_equal (json_array_get_length (overrides), 7);
  assert_string_equal (json_array_get_string_element (overrides, 1),
                       "preprocessing.enhancement_method=office_lens");
  assert_string_equal (
      json_object_get_string_member (cmdb_option_entry_get_metadata (office), "label"),
      "Lens-style + Office mode");
}

static void
test_profiles_defaults (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (GPtrArray) problems
      = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);
  g_autoptr (GPtrArray) profiles = NULL;
  CmdbProfile *profile;

  g_free (cmdb_test_write_file (fixture->workspace, "configs/ui_meta/preprocessing_profiles.yaml",
                                "profiles:\n"
                                "  office_lens_v2: not-a-map\n"
                                "  none:\n"
                                "    label: Nothing\n"));
  profiles = cmdb_context_get_profiles (fixture->context, problems, NULL);
  assert_non_null (profiles);
  assert_int_equal (profiles->len, 2);
  profile = g_ptr_array_index (profiles, 0);
  assert_string_equal (profile->key, "office_lens_v2");
  assert_string_equal (profile->label, "Office Lens V2");
  assert_string_equal (profile->description, "");
  assert_int_equal (profile->overrides->len, 0);
  profile = g_ptr_array_index (profiles, 1);
  assert_string_equal (profile->label, "Nothing");
  assert_int_equal (problems->len, 0);
}

static void
test_profiles_missing_file (void **state)
{
  Fixture *fixture = *state;
  g_autofree char *path = workspace_path (fixture, "configs/ui_meta/preprocessing_profiles.yaml");
  g_autoptr (CmdbOptionList) profiles = NULL;
  g_autofree char *names = NULL;

  assert_int_equal (g_unlink (path), 0);
  profiles = list_source (fixture, "preprocessing_profiles");
  names = join_names (profiles, NULL);
  assert_string_equal (names, "none");
  assert_int_equal (profiles->problems->len, 0);
}

static void
test_catalog_api (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbCatalog) catalog = cmdb_context_get_architectures (fixture->context, NULL);
  g_autoptr (CmdbCatalog) optimizers = cmdb_context_get_optimizers (fixture->context, NULL);
  g_autoptr (CmdbCatalog) again = cmdb_context_get_architectures (fixture->context, NULL);
  const CmdbCatalogItem *dbnetpp;
  g_autoptr (GPtrArray) backbones = NULL;
  g_autoptr (GPtrArray) scalar = NULL;
  g_autoptr (GPtrArray) absent = NULL;

  assert_ptr_equal (catalog, again);
  assert_int_equal (cmdb_catalog_get_n_items (catalog), 3);
  assert_string_equal (cmdb_catalog_get_item (catalog, 0)->name, "craft");
  dbnetpp = cmdb_catalog_lookup (catalog, "dbnetpp");
  assert_non_null (dbnetpp);
  assert_non_null (dbnetpp->config);
  assert_non_null (dbnetpp->ui_metadata);
  backbones = cmdb_catalog_item_get_strings (dbnetpp, "compatible_backbones");
  assert_int_equal (backbones->len, 2);
  assert_string_equal (g_ptr_array_index (backbones, 1), "resnet101");
  scalar = cmdb_catalog_item_get_strings (dbnetpp, "components.decoder");
  assert_int_equal (scalar->len, 1);
  assert_string_equal (g_ptr_array_index (scalar, 0), "dbnetpp_decoder");
  absent = cmdb_catalog_item_get_strings (dbnetpp, "compatible_widgets");
  assert_int_equal (absent->len, 0);
  assert_null (cmdb_catalog_lookup (catalog, "yolo"));
  assert_int_equal (cmdb_catalog_get_n_items (optimizers), 2);
  assert_int_equal (cmdb_catalog_get_problems (catalog)->len, 0);
}

static void
test_flat_ui_meta (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (CmdbCatalog) catalog = NULL;
  g_autoptr (GPtrArray) heads = NULL;

  g_free (cmdb_test_write_file (fixture->workspace, "configs/ui_meta/architectures/craft.yaml",
                                "compatible_heads: [craft_head, craft_head_v2]\n"));
  catalog = cmdb_context_get_architectures (fixture->context, NULL);
  heads
      = cmdb_catalog_item_get_strings (cmdb_catalog_lookup (catalog, "craft"), "compatible_heads");
  assert_int_equal (heads->len, 2);
  assert_string_equal (g_ptr_array_index (heads, 1), "craft_head_v2");
}

static void
test_unknown_builtin (void **state)
{
  Fixture *fixture = *state;
  g_autoptr (GError) error = NULL;

  assert_null (cmdb_builtin_sources_list (fixture->context, "models.decoders", &error));
  assert_true (
      g_error_matches (error, CMDB_OPTION_SOURCE_ERROR, CMDB_OPTION_SOURCE_ERROR_UNKNOWN_SOURCE));
  assert_string_equal (error->message, "'models.decoders' is not a built-in option source");
  assert_false (cmdb_builtin_sources_provides ("models.decoders"));
  assert_true (cmdb_builtin_sources_provides ("checkpoints"));
}

#define T(name) cmocka_unit_test_setup_teardown (name, setup, teardown)

int
main (void)
{
  const struct CMUnitTest tests[] = {
    T (test_golden_lists),
    T (test_filtered_dbnet),
    T (test_filtered_craft),
    T (test_filtered_dbnetpp),
    T (test_component_metadata),
    T (test_architecture_and_optimizer_metadata),
    T (test_checkpoint_metadata),
    T (test_checkpoint_epoch_only),
    T (test_new_checkpoint_appears),
    T (test_new_checkpoints_directory_appears),
    T (test_unchanged_lists_not_recomputed),
    T (test_missing_data_directory),
    T (test_missing_architectures_directory),
    T (test_missing_preset_directory),
    T (test_corrupt_ui_meta),
    T (test_backbones_file),
    T (test_backbones_file_wrong_shape),
    T (test_backbones_without_timm_preset),
    T (test_profiles),
    T (test_profiles_defaults),
    T (test_profiles_missing_file),
    T (test_catalog_api),
    T (test_flat_ui_meta),
    T (test_unknown_builtin),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
