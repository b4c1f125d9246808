#define G_LOG_DOMAIN "cmdb-test"

/* JSON written as text (cmdb_json_append_string): what json-glib reads
 * back is the text written, whatever characters it holds. And JSON
 * compared without writing it (cmdb_json_node_identical): equal exactly
 * when the texts would be, member order aside. */

#include "test-util.h"
#include "cmdbuilder.h"
#include "base/cmdb-json-private.h"

#include <string.h>

/* Writes @text as the value of an object member and reads it back. */
static void
assert_round_trip (const char *text)
{
  g_autoptr (GString) out = g_string_new ("{\"value\":");
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GError) error = NULL;

  cmdb_json_append_string (out, text);
  g_string_append_c (out, '}');
  node = cmdb_json_parse (out->str, (gssize) out->len, &error);
  if (node == NULL)
    {
      g_printerr ("%s: %s\n", out->str, error->message);
      fail ();
    }
  assert_string_equal (json_object_get_string_member (json_node_get_object (node), "value"), text);
}

static void
test_append_string_round_trip (void **state)
{
  g_autoptr (GString) controls = g_string_new (NULL);
  g_autoptr (GString) large = g_string_new (NULL);

  assert_round_trip ("");
  assert_round_trip ("plain text");
  assert_round_trip ("quotes \" and \\ backslashes \\\" at the end\\");
  assert_round_trip ("<script>alert('x')</script> & </textarea>");
  assert_round_trip ("line\nbreaks\r\nand\ttabs\b\f");
  assert_round_trip (
      "UTF-8: \xc3\xa9t\xc3\xa9, \xe2\x80\xae (RLO), \xe2\x80\xa8, \xf0\x9f\x98\x80");
  for (int c = 1; c < 0x20; c++)
    g_string_append_c (controls, (char) c);
  g_string_append_c (controls, 0x7f);
  assert_round_trip (controls->str);
  /* A page body's size, escapes spread through it. */
  for (guint i = 0; i < 5000; i++)
    g_string_append_printf (large, "<div class=\"f%u\">a\\b\n</div>", i);
  assert_round_trip (large->str);
}

/* Exactly what is needed is escaped: a text without quotes, backslashes or
 * control characters is copied as it is. */
static void
test_append_string_copies_plain_runs (void **state)
{
  g_autoptr (GString) out = g_string_new (NULL);

  cmdb_json_append_string (out, "a/b <c> \xc3\xa9");
  assert_string_equal (out->str, "\"a/b <c> \xc3\xa9\"");
  g_string_truncate (out, 0);
  cmdb_json_append_string (out, "\"\\\n\x01");
  assert_string_equal (out->str, "\"\\\"\\\\\\n\\u0001\"");
}

static JsonNode *
parsed (const char *text)
{
  g_autoptr (GError) error = NULL;
  JsonNode *node = cmdb_json_parse (text, -1, &error);

  assert_null (error);
  return node;
}

static gboolean
identical (const char *a, const char *b)
{
  g_autoptr (JsonNode) left = parsed (a);
  g_autoptr (JsonNode) right = parsed (b);

  return cmdb_json_node_identical (left, right);
}

static void
test_node_identical (void **state)
{
  assert_true (identical ("{\"a\": 1, \"b\": [true, null, \"x\"]}",
                          "{\"b\": [true, null, \"x\"], \"a\": 1}"));
  assert_true (identical ("{\"a\": {\"b\": 1.5}}", "{\"a\": {\"b\": 1.5}}"));
  assert_true (identical ("null", "null"));
  /* The integer 4 and the double 4.0 are written differently. */
  assert_false (identical ("{\"a\": 4}", "{\"a\": 4.0}"));
  assert_false (identical ("{\"a\": 1}", "{\"a\": 2}"));
  assert_false (identical ("{\"a\": \"1\"}", "{\"a\": 1}"));
  assert_false (identical ("{\"a\": 1}", "{\"a\": 1, \"b\": 1}"));
  assert_false (identical ("{\"a\": 1}", "{\"b\": 1}"));
  assert_false (identical ("[1, 2]", "[2, 1]"));
  assert_false (identical ("[1]", "[1, 1]"));
  assert_false (identical ("{\"a\": null}", "{\"a\": false}"));
  assert_false (identical ("{}", "[]"));
  assert_true (cmdb_json_node_identical (NULL, NULL));
  {
    g_autoptr (JsonNode) node = parsed ("{}");
    assert_false (cmdb_json_node_identical (node, NULL));
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_append_string_round_trip),
    cmocka_unit_test (test_append_string_copies_plain_runs),
    cmocka_unit_test (test_node_identical),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
