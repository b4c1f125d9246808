#define G_LOG_DOMAIN "cmdb-test"

/* The override reader against Hydra 1.3.2 itself: every line of
 * data/hydra-vectors.jsonl is a token with Hydra's verdict (parsed or not,
 * override type, key, package, value type, value). Every disagreement is
 * reported, then the test fails if there was any. */

#include "test-util.h"
#include "cmdbuilder.h"

#include <math.h>
#include <string.h>

#define N_VECTORS 1603

/* Hydra's value as written in the file against ours. Floats: the file
 * writes inf/nan as strings; finite ones must be the same double. */
static gboolean
values_equal (JsonNode *expected, JsonNode *actual)
{
  JsonNodeType kind = json_node_get_node_type (actual);

  if (kind == JSON_NODE_NULL)
    return JSON_NODE_HOLDS_NULL (expected);
  if (kind == JSON_NODE_ARRAY)
    {
      JsonArray *a = JSON_NODE_HOLDS_ARRAY (expected) ? json_node_get_array (expected) : NULL;
      JsonArray *b = json_node_get_array (actual);

      if (a == NULL || json_array_get_length (a) != json_array_get_length (b))
        return FALSE;
      for (guint i = 0; i < json_array_get_length (a); i++)
        if (!values_equal (json_array_get_element (a, i), json_array_get_element (b, i)))
          return FALSE;
      return TRUE;
    }
  if (kind == JSON_NODE_OBJECT)
    {
      JsonObject *a = JSON_NODE_HOLDS_OBJECT (expected) ? json_node_get_object (expected) : NULL;
      JsonObject *b = json_node_get_object (actual);
      g_autoptr (GList) members = NULL;

      if (a == NULL || json_object_get_size (a) != json_object_get_size (b))
        return FALSE;
      members = json_object_get_members (b);
      for (GList *l = members; l != NULL; l = l->next)
        if (!json_object_has_member (a, l->data)
            || !values_equal (json_object_get_member (a, l->data),
                              json_object_get_member (b, l->data)))
          return FALSE;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (expected))
    return FALSE;

  switch (json_node_get_value_type (actual))
    {
      case G_TYPE_DOUBLE:
        {
          double value = json_node_get_double (actual);

          if (json_node_get_value_type (expected) == G_TYPE_STRING)
            {
              const char *text = json_node_get_string (expected);

              if (strcmp (text, "nan") == 0)
                return isnan (value);
              if (strcmp (text, "inf") == 0)
                return isinf (value) && value > 0;
              if (strcmp (text, "-inf") == 0)
                return isinf (value) && value < 0;
              return FALSE;
            }
          if (json_node_get_value_type (expected) == G_TYPE_INT64)
            return value == (double) json_node_get_int (expected);
          return json_node_get_value_type (expected) == G_TYPE_DOUBLE
                 && value == json_node_get_double (expected);
        }
      case G_TYPE_INT64:
        return json_node_get_value_type (expected) == G_TYPE_INT64
               && json_node_get_int (expected) == json_node_get_int (actual);
      case G_TYPE_BOOLEAN:
        return json_node_get_value_type (expected) == G_TYPE_BOOLEAN
               && json_node_get_boolean (expected) == json_node_get_boolean (actual);
      case G_TYPE_STRING:
        return json_node_get_value_type (expected) == G_TYPE_STRING
               && strcmp (json_node_get_string (expected), json_node_get_string (actual)) == 0;
      default:
        return FALSE;
    }
}

static char *
node_to_text (JsonNode *node)
{
  if (node == NULL)
    return g_strdup ("(none)");
  return json_to_string (node, FALSE);
}

/* Compares one vector; appends a line per mismatch to @report. */
static void
check_vector (JsonObject *vector, guint line, GString *report)
{
  const char *token = json_object_get_string_member (vector, "token");
  gboolean expected_ok = json_object_get_boolean_member (vector, "ok");
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbHydraOverride) override = cmdb_hydra_override_parse (token, &error);
  g_autofree char *shown = g_strescape (token, NULL);
  JsonNode *expected_value;
  const char *expected_package;

  if (!expected_ok)
    {
      if (override != NULL)
        g_string_append_printf (report, "line %u: '%s': Hydra refuses it (%s), we accept it\n",
                                line, shown, json_object_get_string_member (vector, "error"));
      else if (!g_error_matches (error, CMDB_HYDRA_ERROR, CMDB_HYDRA_ERROR_PARSE)
               || strstr (error->message, token) == NULL)
        g_string_append_printf (report, "line %u: '%s': the error does not name the token: %s\n",
                                line, shown, error->message);
      return;
    }
  if (override == NULL)
    {
      g_string_append_printf (report, "line %u: '%s': Hydra accepts it, we refuse it: %s\n", line,
                              shown, error->message);
      return;
    }

  if (strcmp (cmdb_hydra_override_type_to_string (override->type),
              json_object_get_string_member (vector, "override_type"))
      != 0)
    g_string_append_printf (report, "line %u: '%s': override type %s, Hydra says %s\n", line, shown,
                            cmdb_hydra_override_type_to_string (override->type),
                            json_object_get_string_member (vector, "override_type"));
  if (strcmp (override->key, json_object_get_string_member (vector, "key")) != 0)
    g_string_append_printf (report, "line %u: '%s': key '%s', Hydra says '%s'\n", line, shown,
                            override->key, json_object_get_string_member (vector, "key"));

  expected_package = json_object_has_member (vector, "package")
                         ? json_object_get_string_member (vector, "package")
                         : NULL;
  if (g_strcmp0 (override->package, expected_package) != 0)
    g_string_append_printf (report, "line %u: '%s': package '%s', Hydra says '%s'\n", line, shown,
                            override->package ? override->package : "(none)",
                            expected_package ? expected_package : "(none)");

  if (strcmp (cmdb_hydra_value_type_to_string (override->value_type),
              json_object_get_string_member (vector, "value_type"))
      != 0)
    g_string_append_printf (report, "line %u: '%s': value type %s, Hydra says %s\n", line, shown,
                            cmdb_hydra_value_type_to_string (override->value_type),
                            json_object_get_string_member (vector, "value_type"));

  expected_value = json_object_get_member (vector, "value");
  if (!values_equal (expected_value, override->value))
    {
      g_autofree char *ours = node_to_text (override->value);
      g_autofree char *theirs = node_to_text (expected_value);

      g_string_append_printf (report, "line %u: '%s': value %s, Hydra says %s\n", line, shown, ours,
                              theirs);
    }
}

static void
test_all_vectors (void **state)
{
  g_autofree char *path = cmdb_test_source_path ("tests/hydra/data/hydra-vectors.jsonl");
  g_autofree char *contents = cmdb_test_read_file (path);
  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);
  g_autoptr (GString) report = g_string_new (NULL);
  guint n_vectors = 0;
  guint n_refused = 0;

  /* Line 1 describes the fields. */
  assert_non_null (strstr (lines[0], "\"about\""));
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      g_autoptr (GError) error = NULL;
      JsonObject *vector;

      if (lines[i][0] == '\0')
        continue;
      if (!json_parser_load_from_data (parser, lines[i], -1, &error))
        fail_msg ("line %u is not JSON: %s", i + 1, error->message);
      vector = json_node_get_object (json_parser_get_root (parser));
      check_vector (vector, i + 1, report);
      n_vectors++;
      if (!json_object_get_boolean_member (vector, "ok"))
        n_refused++;
    }

  if (report->len > 0)
    {
      g_auto (GStrv) report_lines = g_strsplit (report->str, "\n", -1);
      /* '#' keeps the report readable as TAP diagnostics. */
      g_autofree char *diagnostics = g_strjoinv ("\n# ", report_lines);
      guint n_lines = g_strv_length (report_lines) - 1;

      print_message ("# %s\n", diagnostics);
      fail_msg ("%u disagreement(s) with Hydra 1.3.2 out of %u vectors", n_lines, n_vectors);
    }
  assert_int_equal (n_vectors, N_VECTORS);
  /* Both verdicts are well represented, so neither side is trivially met. */
  assert_true (n_refused > 100);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_all_vectors),
  };

  return cmocka_run_group_tests_name ("hydra-vectors", tests, NULL, NULL);
}
