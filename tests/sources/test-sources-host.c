/* models.decoders and models.backbones through a context attached to a
 * real plugin host, which loads the real registry plugins from the build
 * tree on first use (and only those). */
#define G_LOG_DOMAIN "cmdb-test"

#include "test-util.h"
#include "host/cmdb-host-private.h"

static char *tmp;
static char *workspace;

static int
setup (void **state)
{
  g_autofree char *demo = cmdb_test_source_path ("examples/ocr-workspace");

  tmp = cmdb_test_make_tempdir ();
  cmdb_test_isolate_environment (tmp);
  workspace = g_build_filename (tmp, "workspace", NULL);
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

static char *
join_names (CmdbOptionList *list)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < list->entries->len; i++)
    g_string_append_printf (text, "%s%s", i > 0 ? ", " : "",
                            ((CmdbOptionEntry *) g_ptr_array_index (list->entries, i))->name);
  return g_string_free (text, FALSE);
}

static void
test_registry_plugins_through_host (void **state)
{
  CmdbTestSession *session = cmdb_test_session_new (workspace, NULL);
  g_autoptr (CmdbOptionList) decoders = NULL;
  g_autoptr (CmdbOptionList) again = NULL;
  g_autoptr (CmdbOptionList) backbones = NULL;
  g_autoptr (CmdbOptionList) datasets = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *names = NULL;
  CmdbPluginRecord *record;

  assert_false (cmdb_test_module_is_mapped ("libdecoders.so"));
  record = cmdb_host_lookup_source_provider (session->host, "models.decoders");
  assert_non_null (record);
  assert_string_equal (record->id, "decoders");

  /* A built-in source maps no plugin. */
  datasets = cmdb_context_get_options (session->context, "datasets", &error);
  assert_non_null (datasets);
  assert_int_equal (datasets->entries->len, 5);
  assert_false (cmdb_test_module_is_mapped ("libdecoders.so"));

  decoders = cmdb_context_get_options (session->context, "models.decoders", &error);
  if (decoders == NULL)
    {
      print_error ("%s\n", error->message);
      fail ();
    }
  assert_true (cmdb_test_module_is_mapped ("libdecoders.so"));
  assert_false (cmdb_test_module_is_mapped ("libheads.so"));
  assert_false (cmdb_test_module_is_mapped ("libencoders.so"));
  names = join_names (decoders);
  assert_string_equal (names, "craft_decoder, dbpp_decoder, fpn, pan, unet, fpn_decoder, "
                              "pan_decoder, dbnetpp_decoder");

  /* The plugin answers from the shared cache. */
  again = cmdb_context_get_options (session->context, "models.decoders", &error);
  assert_ptr_equal (again, decoders);

  backbones = cmdb_context_get_options (session->context, "models.backbones", &error);
  assert_non_null (backbones);
  assert_true (cmdb_test_module_is_mapped ("libencoders.so"));
  g_free (names);
  names = join_names (backbones);
  assert_string_equal (names, "resnet18, resnet34, resnet50, mobilenetv3_small_050, "
                              "efficientnet_b0, vgg16_bn, vgg19_bn, resnet101");

  cmdb_test_session_free (session);
}

static void
test_disabled_registry (void **state)
{
  CmdbTestSession *session = cmdb_test_session_new (workspace, "[plugins]\ndisabled=heads\n");
  g_autoptr (CmdbOptionList) heads = NULL;
  g_autoptr (CmdbOptionList) losses = NULL;
  g_autoptr (GError) error = NULL;

  heads = cmdb_context_get_options (session->context, "models.heads", &error);
  assert_null (heads);
  assert_true (g_error_matches (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_DISABLED));
  assert_false (cmdb_test_module_is_mapped ("libheads.so"));
  g_clear_error (&error);
  losses = cmdb_context_get_options (session->context, "models.losses", &error);
  assert_non_null (losses);
  assert_int_equal (losses->entries->len, 3);
  cmdb_test_session_free (session);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_registry_plugins_through_host, setup, teardown),
    cmocka_unit_test_setup_teardown (test_disabled_registry, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
