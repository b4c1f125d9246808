/* Lazy loading, proven from /proc/self/maps.
 *
 * Modules are never unmapped once loaded (libpeas keeps C modules
 * resident), so each scenario runs in its own process: meson runs this
 * program once per scenario name given as argv[1].
 */
#define G_LOG_DOMAIN "cmdb-test"

#include "test-util.h"
#include "host/cmdb-host-private.h"

#include <string.h>

static const char *const registries[] = { "encoders", "decoders", "heads", "losses" };

static char *tmp;
static char *workspace;

static int
setup (void **state)
{
  tmp = cmdb_test_make_tempdir ();
  cmdb_test_isolate_environment (tmp);
  workspace = g_build_filename (tmp, "workspace", NULL);
  g_free (cmdb_test_write_file (workspace, "pyproject.toml", ""));
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

/* Page modules are lib<id>-page.so (meson reserves the target name
 * "test"); registry modules are lib<id>.so. */
static gboolean
mapped (const char *id)
{
  static const char *const pages[] = { "train", "test", "predict" };
  g_autofree char *file = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (pages); i++)
    if (g_str_equal (id, pages[i]))
      file = g_strdup_printf ("lib%s-page.so", id);
  if (file == NULL)
    file = g_strdup_printf ("lib%s.so", id);
  return cmdb_test_module_is_mapped (file);
}

static void
assert_nothing_mapped (void)
{
  static const char *const pages[] = { "train", "test", "predict", "decoder-lab" };

  for (gsize i = 0; i < G_N_ELEMENTS (pages); i++)
    assert_false (mapped (pages[i]));
  for (gsize i = 0; i < G_N_ELEMENTS (registries); i++)
    assert_false (mapped (registries[i]));
}

static CmdbPluginRecord *
record (CmdbTestSession *session, const char *id)
{
  CmdbPluginRecord *found = cmdb_host_lookup (session->host, id);
  assert_non_null (found);
  return found;
}

/* Discovery maps nothing; Train's activation maps Train (and the registries
 * its schema uses) but not Predict; Predict's maps Predict. */
static void
test_pages_load_on_activation (void **state)
{
  CmdbTestSession *session = cmdb_test_session_new (workspace, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) pages = cmdb_host_list_pages (session->host);

  assert_int_equal (pages->len, 3);
  assert_string_equal (((CmdbPluginRecord *) g_ptr_array_index (pages, 0))->id, "train");
  assert_string_equal (((CmdbPluginRecord *) g_ptr_array_index (pages, 1))->id, "test");
  assert_string_equal (((CmdbPluginRecord *) g_ptr_array_index (pages, 2))->id, "predict");
  assert_nothing_mapped ();

  assert_non_null (cmdb_host_activate_page (session->host, session->context, "train", &error));
  assert_null (error);
  assert_true (mapped ("train"));
  assert_false (mapped ("predict"));
  assert_false (mapped ("test"));
  assert_true (record (session, "train")->loaded);
  assert_true (record (session, "train")->load_ms >= 0);
  assert_true (record (session, "train")->activate_ms >= record (session, "train")->load_ms);
  assert_int_equal (record (session, "train")->state, CMDB_PAGE_STATE_ACTIVATED);
  assert_false (record (session, "predict")->loaded);
  assert_int_equal (record (session, "predict")->state, CMDB_PAGE_STATE_DISCOVERED);
  /* Train's schema uses backbones, decoders, heads and losses. */
  for (gsize i = 0; i < G_N_ELEMENTS (registries); i++)
    assert_true (mapped (registries[i]));

  assert_non_null (cmdb_host_activate_page (session->host, session->context, "predict", &error));
  assert_true (mapped ("predict"));
  assert_false (mapped ("test"));

  cmdb_host_show_page (session->host, "predict");
  assert_int_equal (record (session, "predict")->state, CMDB_PAGE_STATE_SHOWN);
  cmdb_host_leave_page (session->host, "predict");
  assert_int_equal (record (session, "predict")->state, CMDB_PAGE_STATE_LEFT);
  cmdb_test_session_free (session);
}

/* A page whose schema uses only models.decoders maps the decoders registry
 * and leaves encoders, heads and losses unmapped. */
static void
test_only_needed_registries (void **state)
{
  g_autofree char *plugins
      = g_build_filename (cmdb_test_build_root (), "tests", "host", "plugins", NULL);
  g_autofree char *schemas = cmdb_test_source_path ("tests/host/fixtures/schemas");
  g_autofree char *config
      = g_strdup_printf ("[plugins]\npath=%s\n[workspace]\nschemas=%s\n", plugins, schemas);
  CmdbTestSession *session = cmdb_test_session_new (workspace, config);
  g_autoptr (GError) error = NULL;

  assert_nothing_mapped ();
  assert_non_null (
      cmdb_host_activate_page (session->host, session->context, "decoder-lab", &error));
  assert_null (error);
  assert_true (mapped ("decoder-lab"));
  assert_true (mapped ("decoders"));
  assert_false (mapped ("encoders"));
  assert_false (mapped ("heads"));
  assert_false (mapped ("losses"));
  assert_false (mapped ("train"));
  cmdb_test_session_free (session);
}

/* A disabled plugin is never mapped: not as a page, not as the provider of
 * a source a schema asks for. */
static void
test_disabled_never_mapped (void **state)
{
  CmdbTestSession *session
      = cmdb_test_session_new (workspace, "[plugins]\ndisabled=predict;heads\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) pages = cmdb_host_list_pages (session->host);
  g_autoptr (CmdbOptionList) heads = NULL;

  assert_int_equal (pages->len, 2);
  assert_false (record (session, "predict")->enabled);

  assert_null (cmdb_host_activate_page (session->host, session->context, "predict", &error));
  assert_true (g_error_matches (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_DISABLED));
  assert_string_equal (error->message,
                       "plugin 'predict' is disabled by configuration ([plugins] disabled)");
  g_clear_error (&error);

  /* Train still activates; its heads field cannot get options. */
  assert_non_null (cmdb_host_activate_page (session->host, session->context, "train", &error));
  heads = cmdb_context_get_options (session->context, "models.heads", &error);
  assert_null (heads);
  assert_true (g_error_matches (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_DISABLED));
  assert_string_equal (error->message,
                       "option source 'models.heads' is provided by plugin 'heads', "
                       "which is disabled by configuration");

  assert_false (mapped ("predict"));
  assert_false (mapped ("heads"));
  assert_true (mapped ("train"));
  assert_true (mapped ("decoders"));
  cmdb_test_session_free (session);
}

int
main (int argc, char **argv)
{
  const struct CMUnitTest pages[] = {
    cmocka_unit_test_setup_teardown (test_pages_load_on_activation, setup, teardown),
  };
  const struct CMUnitTest decoders[] = {
    cmocka_unit_test_setup_teardown (test_only_needed_registries, setup, teardown),
  };
  const struct CMUnitTest disabled[] = {
    cmocka_unit_test_setup_teardown (test_disabled_never_mapped, setup, teardown),
  };
  const char *scenario = argc > 1 ? argv[1] : "";

  if (g_str_equal (scenario, "pages"))
    return cmocka_run_group_tests_name ("pages", pages, NULL, NULL);
  if (g_str_equal (scenario, "decoders"))
    return cmocka_run_group_tests_name ("decoders", decoders, NULL, NULL);
  if (g_str_equal (scenario, "disabled"))
    return cmocka_run_group_tests_name ("disabled", disabled, NULL, NULL);
  g_printerr ("usage: %s pages|decoders|disabled\n", argv[0]);
  return 2;
}
