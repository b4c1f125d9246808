#define G_LOG_DOMAIN "cmdb-test"

/* The composition checker against Hydra 1.3.2 itself.
 *
 * data/vectors.jsonl holds every version_base=None case of the reference
 * set (config trees in data/trees, a primary config and overrides) with
 * Hydra's verdict; data/keysets.json the composed leaf keys, shared between
 * cases. For each case we compare: the verdict ok; for successes the leaf
 * keys and whether every interpolation resolves; for cases marked
 * message_matters, the first line of the message. Every disagreement is
 * listed; the test fails on any that is not in data/known-disagreements.txt
 * (each with its reason, see docs/compose-check.md), or when one listed there
 * agrees now (so the list cannot go stale). */

#include "test-util.h"
#include "cmdbuilder.h"

#include <string.h>

static char *
first_line (const char *text)
{
  const char *start = text;
  const char *end;

  while (*start == '\n')
    start++;
  end = strchr (start, '\n');
  return end != NULL ? g_strndup (start, (gsize) (end - start)) : g_strdup (start);
}

static char *
compare_keys (JsonArray *expected, const GPtrArray *actual)
{
  guint n = json_array_get_length (expected);

  for (guint i = 0; i < MAX (n, actual->len); i++)
    {
      const char *e = i < n ? json_array_get_string_element (expected, i) : "(none)";
      const char *a = i < actual->len ? g_ptr_array_index (actual, i) : "(none)";

      if (strcmp (e, a) != 0)
        return g_strdup_printf ("keys differ at %u: Hydra '%s', we '%s' (%u vs %u keys)", i, e, a,
                                n, actual->len);
    }
  return NULL;
}

/* Returns (transfer full) what disagrees, or NULL. */
static char *
check_case (CmdbCache *cache, const char *trees, JsonObject *vector, JsonArray *keysets)
{
  const char *tree = json_object_get_string_member (vector, "tree");
  const char *config_name = json_object_get_string_member (vector, "config_name");
  JsonArray *overrides = json_object_get_array_member (vector, "overrides");
  gboolean ok = json_object_get_boolean_member (vector, "ok");
  g_autofree char *config_dir = g_build_filename (trees, tree, NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (CmdbComposeResult) result = NULL;

  for (guint i = 0; i < json_array_get_length (overrides); i++)
    g_ptr_array_add (argv, (gpointer) json_array_get_string_element (overrides, i));
  g_ptr_array_add (argv, NULL);
  result = cmdb_compose (cache, config_dir, config_name, (const char *const *) argv->pdata);

  if (cmdb_compose_result_get_ok (result) != ok)
    {
      if (ok)
        return g_strdup_printf ("Hydra composes; we say %s: %s",
                                cmdb_compose_result_get_error_class (result),
                                cmdb_compose_result_get_message (result));
      return g_strdup_printf ("Hydra fails (%s: %s); we compose",
                              json_object_get_string_member (vector, "error_class"),
                              json_object_get_string_member (vector, "message_first_line"));
    }
  if (ok)
    {
      JsonArray *keys = json_array_get_array_element (
          keysets, (guint) json_object_get_int_member (vector, "keyset"));
      char *difference = compare_keys (keys, cmdb_compose_result_get_keys (result));
      gboolean resolve_ok = json_object_get_boolean_member (vector, "resolve_ok");

      if (difference != NULL)
        return difference;
      if (cmdb_compose_result_get_resolve_ok (result) != resolve_ok)
        {
          g_autoptr (JsonNode) json = cmdb_compose_result_to_json (result);
          g_autofree char *text = json_to_string (json, FALSE);

          return g_strdup_printf ("resolve: Hydra %s, we %s: %s", resolve_ok ? "ok" : "fails",
                                  resolve_ok ? "fail" : "resolve", text);
        }
      return NULL;
    }
  if (json_object_get_boolean_member_with_default (vector, "message_matters", FALSE))
    {
      const char *expected = json_object_get_string_member (vector, "message_first_line");
      g_autofree char *actual = first_line (cmdb_compose_result_get_message (result));

      if (strcmp (expected, actual) != 0)
        return g_strdup_printf ("message: Hydra '%s', we '%s'", expected, actual);
    }
  return NULL;
}

static GHashTable *
read_known (const char *path)
{
  g_autofree char *text = cmdb_test_read_file (path);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  GHashTable *known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) fields = NULL;

      if (lines[i][0] == '#' || lines[i][0] == '\0')
        continue;
      fields = g_strsplit_set (lines[i], " \t", 2);
      g_hash_table_add (known, g_strdup (fields[0]));
    }
  return known;
}

static void
test_vectors (void **state)
{
  g_autofree char *data = cmdb_test_source_path ("tests/compose/data");
  g_autofree char *trees = g_build_filename (data, "trees", NULL);
  g_autofree char *vectors_path = g_build_filename (data, "vectors.jsonl", NULL);
  g_autofree char *keysets_path = g_build_filename (data, "keysets.json", NULL);
  g_autofree char *known_path = g_build_filename (data, "known-disagreements.txt", NULL);
  g_autofree char *text = cmdb_test_read_file (vectors_path);
  g_autoptr (JsonParser) keysets_parser = json_parser_new ();
  g_autoptr (GHashTable) known = read_known (known_path);
  g_autoptr (CmdbCache) cache = cmdb_cache_new (0);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  JsonArray *keysets;
  guint n_cases = 0, n_disagree = 0, n_unexpected = 0, n_stale = 0;

  (void) state;
  g_assert_true (json_parser_load_from_file (keysets_parser, keysets_path, NULL));
  keysets = json_node_get_array (json_parser_get_root (keysets_parser));

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      JsonObject *vector;
      g_autofree char *difference = NULL;
      const char *id;

      if (lines[i][0] == '\0')
        continue;
      g_assert_true (json_parser_load_from_data (parser, lines[i], -1, NULL));
      vector = json_node_get_object (json_parser_get_root (parser));
      id = json_object_get_string_member (vector, "id");
      n_cases++;
      difference = check_case (cache, trees, vector, keysets);
      if (difference != NULL)
        {
          gboolean is_known = g_hash_table_contains (known, id);
          g_autofree char *overrides
              = json_to_string (json_object_get_member (vector, "overrides"), FALSE);

          n_disagree++;
          if (!is_known)
            n_unexpected++;
          g_print ("# %s %s [%s %s] %s\n", is_known ? "known" : "DISAGREES", id,
                   json_object_get_string_member (vector, "config_name"), overrides, difference);
        }
      else if (g_hash_table_contains (known, id))
        {
          n_stale++;
          g_print ("# STALE %s agrees now: remove it from known-disagreements.txt\n", id);
        }
    }
  g_print ("# %u cases, %u disagreements (%u not documented), %u stale entries\n", n_cases,
           n_disagree, n_unexpected, n_stale);
  g_assert_cmpuint (n_cases, ==, 4539);
  g_assert_cmpuint (n_unexpected, ==, 0);
  g_assert_cmpuint (n_stale, ==, 0);
  /* At most 1 % may stay documented. */
  g_assert_cmpuint (n_disagree * 100, <=, n_cases);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_vectors),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
