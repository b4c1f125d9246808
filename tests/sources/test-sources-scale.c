/* The scale workspace (tools/gen-scale-workspace) lists completely: counts
 * and order only, no timing assertions. */
#define G_LOG_DOMAIN "cmdb-test"

#include "test-util.h"
#include "sources/cmdb-sources-private.h"

static char *tmp;
static char *workspace;
static CmdbConfig *config;
static CmdbCache *cache;
static CmdbContext *context;

static int
setup (void **state)
{
  g_autofree char *generator = cmdb_test_source_path ("tools/gen-scale-workspace");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = -1;

  tmp = cmdb_test_make_tempdir ();
  cmdb_test_isolate_environment (tmp);
  workspace = g_build_filename (tmp, "scale", NULL);
  {
    const char *argv[] = { "python3", generator, workspace, NULL };
    out = cmdb_test_run (argv, NULL, &err, &status);
  }
  if (status != 0)
    {
      print_error ("gen-scale-workspace failed (%d): %s\n", status, err);
      return -1;
    }
  config = cmdb_config_new ();
  cache = cmdb_cache_new (0);
  context = cmdb_context_new (workspace, config, cache);
  return 0;
}

static int
teardown (void **state)
{
  g_clear_object (&context);
  g_clear_pointer (&cache, cmdb_cache_unref);
  g_clear_pointer (&config, cmdb_config_unref);
  cmdb_test_remove_tree (tmp);
  g_clear_pointer (&tmp, g_free);
  g_clear_pointer (&workspace, g_free);
  return 0;
}

static CmdbOptionList *
list_source (const char *source_id)
{
  g_autoptr (GError) error = NULL;
  CmdbComponentKind kind;
  CmdbOptionList *list;

  if (cmdb_component_kind_for_source (source_id, &kind))
    list = cmdb_component_source_list (context, kind, source_id, &error);
  else
    list = cmdb_builtin_sources_list (context, source_id, &error);
  if (list == NULL)
    {
      print_error ("%s: %s\n", source_id, error->message);
      fail ();
    }
  assert_int_equal (list->problems->len, 0);
  return list;
}

static void
test_counts (void **state)
{
  static const struct
  {
    const char *source_id;
    guint count;
  } expected[] = {
    { "models.encoders", 1100 },     { "models.decoders", 1100 },  { "models.heads", 1100 },
    { "models.losses", 1100 },       { "models.backbones", 1000 }, { "models.architectures", 100 },
    { "models.optimizers", 2 },      { "datasets", 10 },           { "checkpoints", 10000 },
    { "preprocessing_profiles", 3 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr (CmdbOptionList) list = list_source (expected[i].source_id);

      if (list->entries->len != expected[i].count)
        print_error ("%s: %u entries\n", expected[i].source_id, list->entries->len);
      assert_int_equal (list->entries->len, expected[i].count);
    }
}

static void
test_order_and_compatibility (void **state)
{
  g_autoptr (CmdbOptionList) decoders = list_source ("models.decoders");
  g_autoptr (CmdbOptionList) checkpoints = list_source ("checkpoints");
  CmdbOptionEntry *entry;

  /* Files first in name order, then the architecture-only names. */
  assert_string_equal (((CmdbOptionEntry *) g_ptr_array_index (decoders->entries, 0))->name,
                       "decoder_0000");
  assert_string_equal (((CmdbOptionEntry *) g_ptr_array_index (decoders->entries, 999))->name,
                       "decoder_0999");
  assert_string_equal (((CmdbOptionEntry *) g_ptr_array_index (decoders->entries, 1000))->name,
                       "decoder_arch_000");
  entry = cmdb_option_list_lookup (decoders, "decoder_0425");
  assert_int_equal (entry->architectures->len, 1);
  assert_string_equal (g_ptr_array_index (entry->architectures, 0), "arch_042");

  entry = g_ptr_array_index (checkpoints->entries, 0);
  assert_string_equal (entry->name, "outputs/exp_099/checkpoints/epoch_99_step_005000.ckpt");
  entry = g_ptr_array_index (checkpoints->entries, 9999);
  assert_string_equal (entry->name, "outputs/exp_000/checkpoints/epoch_00_step_000050.ckpt");
}

static void
test_search_and_repeat (void **state)
{
  g_autoptr (CmdbOptionList) checkpoints = list_source ("checkpoints");
  g_autoptr (CmdbOptionList) again = NULL;
  g_autoptr (GPtrArray) page = NULL;
  CmdbCacheStats before, after;
  guint total = 0;

  page = cmdb_option_list_search (checkpoints, "EXP_042/", 10, 20, &total);
  assert_int_equal (total, 100);
  assert_int_equal (page->len, 20);
  assert_string_equal (((CmdbOptionEntry *) g_ptr_array_index (page, 0))->name,
                       "outputs/exp_042/checkpoints/epoch_89_step_004500.ckpt");

  cmdb_cache_get_stats (cache, &before);
  again = list_source ("checkpoints");
  cmdb_cache_get_stats (cache, &after);
  assert_ptr_equal (again, checkpoints);
  assert_int_equal (after.dir_scans, before.dir_scans);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_counts),
    cmocka_unit_test (test_order_and_compatibility),
    cmocka_unit_test (test_search_and_repeat),
  };

  return cmocka_run_group_tests (tests, setup, teardown);
}
