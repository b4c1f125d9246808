/* Option entries and lists: dedup, architectures, search and paging, JSON. */
#define G_LOG_DOMAIN "cmdb-test"

#include "test-util.h"
#include "sources/cmdb-sources-private.h"

#include <string.h>

static CmdbOptionList *
make_list (void)
{
  static const char *const names[] = { "alpha", "Beta", "gamma", "ALPHABET", "delta", "Élan" };
  CmdbOptionList *list = cmdb_option_list_new ("test.source");

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (CmdbOptionEntry) entry = cmdb_option_entry_new (names[i], NULL);
      cmdb_option_list_add (list, entry);
    }
  return list;
}

static char *
join_names (GPtrArray *entries)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < entries->len; i++)
    g_string_append_printf (text, "%s%s", i > 0 ? "," : "",
                            ((CmdbOptionEntry *) g_ptr_array_index (entries, i))->name);
  return g_string_free (text, FALSE);
}

static void
assert_search (CmdbOptionList *list, const char *query, guint offset, guint limit,
               const char *expected_names, guint expected_total)
{
  guint total = 12345;
  g_autoptr (GPtrArray) page = cmdb_option_list_search (list, query, offset, limit, &total);
  g_autofree char *names = join_names (page);

  assert_string_equal (names, expected_names);
  assert_int_equal (total, expected_total);
}

static void
test_dedup_keeps_first (void **state)
{
  g_autoptr (CmdbOptionList) list = cmdb_option_list_new ("models.decoders");
  g_autoptr (CmdbOptionEntry) first = cmdb_option_entry_new ("fpn_decoder", "/a/fpn_decoder.yaml");
  g_autoptr (CmdbOptionEntry) second = cmdb_option_entry_new ("fpn_decoder", NULL);
  g_autoptr (CmdbOptionEntry) other = cmdb_option_entry_new ("fpn", NULL);

  assert_ptr_equal (cmdb_option_list_add (list, first), first);
  assert_ptr_equal (cmdb_option_list_add (list, second), first);
  assert_ptr_equal (cmdb_option_list_add (list, other), other);
  assert_int_equal (list->entries->len, 2);
  assert_ptr_equal (cmdb_option_list_lookup (list, "fpn_decoder"), first);
  assert_string_equal (cmdb_option_list_lookup (list, "fpn_decoder")->file, "/a/fpn_decoder.yaml");
  assert_null (cmdb_option_list_lookup (list, "pan"));
  assert_true (cmdb_option_list_get_size (list) > 0);
}

static void
test_architectures_added_once (void **state)
{
  g_autoptr (CmdbOptionEntry) entry = cmdb_option_entry_new ("db_head", NULL);

  cmdb_option_entry_add_architecture (entry, "dbnet");
  cmdb_option_entry_add_architecture (entry, "dbnetpp");
  cmdb_option_entry_add_architecture (entry, "dbnet");
  assert_int_equal (entry->architectures->len, 2);
  assert_string_equal (g_ptr_array_index (entry->architectures, 0), "dbnet");
  assert_string_equal (g_ptr_array_index (entry->architectures, 1), "dbnetpp");
}

static void
test_search_all (void **state)
{
  g_autoptr (CmdbOptionList) list = make_list ();

  assert_search (list, NULL, 0, 0, "alpha,Beta,gamma,ALPHABET,delta,Élan", 6);
  assert_search (list, "", 0, 0, "alpha,Beta,gamma,ALPHABET,delta,Élan", 6);
}

static void
test_search_case_insensitive (void **state)
{
  g_autoptr (CmdbOptionList) list = make_list ();

  assert_search (list, "ALP", 0, 0, "alpha,ALPHABET", 2);
  assert_search (list, "bet", 0, 0, "Beta,ALPHABET", 2);
  assert_search (list, "a", 0, 0, "alpha,Beta,gamma,ALPHABET,delta,Élan", 6);
  assert_search (list, "zzz", 0, 0, "", 0);
  /* Non-ASCII queries fold Unicode case. */
  assert_search (list, "élan", 0, 0, "Élan", 1);
}

static void
test_paging (void **state)
{
  g_autoptr (CmdbOptionList) list = make_list ();

  assert_search (list, NULL, 0, 2, "alpha,Beta", 6);
  assert_search (list, NULL, 2, 2, "gamma,ALPHABET", 6);
  assert_search (list, NULL, 4, 2, "delta,Élan", 6);
  assert_search (list, NULL, 5, 10, "Élan", 6);
  assert_search (list, NULL, 6, 2, "", 6);
  assert_search (list, NULL, 100, 0, "", 6);
  /* Paging applies to the matches, and the total counts all matches. */
  assert_search (list, "a", 1, 2, "Beta,gamma", 6);
  assert_search (list, "alp", 1, 1, "ALPHABET", 2);
}

static void
test_search_null_total (void **state)
{
  g_autoptr (CmdbOptionList) list = make_list ();
  g_autoptr (GPtrArray) page = cmdb_option_list_search (list, "gam", 0, 0, NULL);

  assert_int_equal (page->len, 1);
}

static void
test_entry_json (void **state)
{
  g_autoptr (CmdbOptionEntry) entry
      = cmdb_option_entry_new ("outputs/x/checkpoints/a.ckpt", "/w/outputs/x/checkpoints/a.ckpt");
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;
  JsonObject *metadata;

  cmdb_option_entry_set_description (entry, NULL);
  metadata = cmdb_option_entry_ensure_metadata (entry);
  json_object_set_string_member (metadata, "experiment", "x");
  json_object_set_int_member (metadata, "epoch", 3);
  cmdb_option_entry_add_architecture (entry, "dbnet");

  object = cmdb_option_entry_to_json (entry, NULL, TRUE);
  json_node_set_object (node, object);
  text = json_to_string (node, FALSE);
  assert_string_equal (text, "{\"name\":\"outputs/x/checkpoints/a.ckpt\","
                             "\"file\":\"/w/outputs/x/checkpoints/a.ckpt\","
                             "\"architectures\":[\"dbnet\"],\"experiment\":\"x\",\"epoch\":3}");
}

static void
test_entry_json_without_file (void **state)
{
  g_autoptr (CmdbOptionEntry) entry = cmdb_option_entry_new ("resnet101", NULL);
  g_autoptr (JsonObject) object = cmdb_option_entry_to_json (entry, NULL, TRUE);
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;

  json_node_set_object (node, object);
  text = json_to_string (node, FALSE);
  assert_string_equal (text, "{\"name\":\"resnet101\",\"file\":null,\"architectures\":[]}");
}

static void
test_problem_from_error_location (void **state)
{
  g_autoptr (GError) error = g_error_new (CMDB_YAML_ERROR, CMDB_YAML_ERROR_SYNTAX,
                                          "/w/a.yaml:4:7: did not find expected node content");
  g_autoptr (GError) plain
      = g_error_new (CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_FAILED, "/w/a.yaml: Permission denied");
  g_autoptr (CmdbProblem) located
      = cmdb_problem_from_error (CMDB_SEVERITY_ERROR, error, "/w/a.yaml", "dbnet");
  g_autoptr (CmdbProblem) unlocated
      = cmdb_problem_from_error (CMDB_SEVERITY_WARNING, plain, "/w/a.yaml", NULL);
  g_autofree char *text = cmdb_problem_to_string (located);

  assert_string_equal (located->path, "/w/a.yaml");
  assert_int_equal (located->line, 4);
  assert_int_equal (located->column, 7);
  assert_string_equal (located->message, "did not find expected node content");
  assert_string_equal (text, "/w/a.yaml:4:7: error: [dbnet] did not find expected node content");
  assert_int_equal (unlocated->line, 0);
  assert_string_equal (unlocated->message, "Permission denied");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_dedup_keeps_first),
    cmocka_unit_test (test_architectures_added_once),
    cmocka_unit_test (test_search_all),
    cmocka_unit_test (test_search_case_insensitive),
    cmocka_unit_test (test_paging),
    cmocka_unit_test (test_search_null_total),
    cmocka_unit_test (test_entry_json),
    cmocka_unit_test (test_entry_json_without_file),
    cmocka_unit_test (test_problem_from_error_location),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
