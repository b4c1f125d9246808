#define G_LOG_DOMAIN "cmdb-test"

/* The visible_if / required_if language: precedence, literals, the one
 * semantics for both keys, and syntax errors with their offsets. */

#include "test-util.h"
#include "schema/cmdb-expression-private.h"

static JsonNode *
lookup (const char *name, gpointer user_data)
{
  JsonObject *values = user_data;

  return json_object_has_member (values, name) ? json_object_get_member (values, name) : NULL;
}

static JsonObject *
sample_values (void)
{
  JsonObject *values = json_object_new ();
  JsonArray *empty = json_array_new ();

  json_object_set_boolean_member (values, "t", TRUE);
  json_object_set_boolean_member (values, "f", FALSE);
  json_object_set_int_member (values, "one", 1);
  json_object_set_double_member (values, "half", 0.5);
  json_object_set_double_member (values, "one_float", 1.0);
  json_object_set_int_member (values, "zero", 0);
  json_object_set_string_member (values, "s", "adamw");
  json_object_set_string_member (values, "empty", "");
  json_object_set_string_member (values, "text_one", "1");
  json_object_set_null_member (values, "hidden");
  json_object_set_array_member (values, "none", empty);
  return values;
}

static gboolean
eval (const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbExpression) expression = cmdb_expression_parse (text, NULL, &error);
  g_autoptr (JsonObject) values = sample_values ();

  if (expression == NULL)
    {
      g_printerr ("'%s': %s\n", text, error->message);
      fail ();
    }
  return cmdb_expression_evaluate (expression, lookup, values);
}

static void
test_precedence (void **state)
{
  /* not binds looser than a comparison, and tighter than and/or. */
  assert_true (eval ("not one == 2"));
  assert_false (eval ("not one == 1"));
  /* and binds tighter than or. */
  assert_true (eval ("t or f and f"));
  assert_false (eval ("(t or f) and f"));
  assert_true (eval ("not f and t"));
  assert_false (eval ("not (f or t)"));
  assert_true (eval ("f or not f"));
  assert_true (eval ("((one == 1))"));
}

static void
test_literals (void **state)
{
  assert_true (eval ("s == \"adamw\""));
  assert_true (eval ("s == 'adamw'"));
  assert_true (eval ("'it\\'s' == \"it's\""));
  assert_true (eval ("one == 1"));
  assert_true (eval ("half == 0.5"));
  assert_true (eval ("half == .5"));
  assert_true (eval ("half == 5.0e-1"));
  assert_true (eval ("zero > -1"));
  assert_true (eval ("t == true"));
  assert_true (eval ("f == false"));
  assert_true (eval ("hidden == null"));
  assert_true (eval ("missing == null")); /* a name with no value is null */
  assert_true (eval ("true"));
  assert_false (eval ("null"));
}

static void
test_semantics (void **state)
{
  /* ints and floats are numbers; other kinds never equal each other */
  assert_true (eval ("one == one_float"));
  assert_false (eval ("t == 1"));
  assert_false (eval ("text_one == 1"));
  assert_true (eval ("text_one != 1"));
  /* null equals only null */
  assert_false (eval ("hidden == false"));
  assert_false (eval ("hidden == 0"));
  assert_true (eval ("hidden != 1"));
  /* ordering: numbers, or strings bytewise; anything else is false */
  assert_true (eval ("half < one"));
  assert_true (eval ("one >= one_float"));
  assert_true (eval ("s > 'adam'"));
  assert_false (eval ("hidden < 1"));
  assert_false (eval ("hidden >= 1"));
  assert_false (eval ("one < '2'"));
  assert_false (eval ("one >= '0'"));
  assert_false (eval ("t > f"));
  /* truth */
  assert_false (eval ("empty"));
  assert_false (eval ("zero"));
  assert_false (eval ("none"));
  assert_false (eval ("hidden"));
  assert_true (eval ("s"));
  assert_true (eval ("not empty and not zero and not none"));
}

static void
assert_syntax_error (const char *text, guint offset, const char *message)
{
  g_autoptr (GError) error = NULL;
  guint got_offset = 999;
  g_autoptr (CmdbExpression) expression = cmdb_expression_parse (text, &got_offset, &error);

  assert_null (expression);
  assert_non_null (error);
  assert_string_equal (error->message, message);
  assert_int_equal (got_offset, offset);
}

static void
test_errors (void **state)
{
  assert_syntax_error ("", 0, "empty expression at offset 0");
  assert_syntax_error ("   ", 0, "empty expression at offset 0");
  assert_syntax_error ("a ==", 4, "expected a value, found end of expression at offset 4");
  assert_syntax_error ("a = 1", 2, "'=' is not an operator (use '==') at offset 2");
  assert_syntax_error ("(a == 1", 7, "expected ')' to close '(' at offset 0 at offset 7");
  assert_syntax_error ("a == 'x", 5, "unterminated string at offset 5");
  assert_syntax_error ("a < b < c", 6,
                       "comparisons cannot be chained; combine them with 'and' at offset 6");
  assert_syntax_error ("a $ b", 2, "unexpected character '$' at offset 2");
  assert_syntax_error ("a b", 2, "unexpected name after the expression at offset 2");
  assert_syntax_error ("a == 1x", 5, "malformed number at offset 5");
  assert_syntax_error ("a and", 5, "expected a value, found end of expression at offset 5");
  assert_syntax_error ("not", 3, "expected a value, found end of expression at offset 3");
  assert_syntax_error ("a == )", 5, "expected a value, found ')' at offset 5");
}

static void
test_deep_nesting (void **state)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbExpression) expression = NULL;

  for (int i = 0; i < 10000; i++)
    g_string_append_c (text, '(');
  expression = cmdb_expression_parse (text->str, NULL, &error);
  assert_null (expression);
  assert_non_null (strstr (error->message, "nested too deeply"));
}

/* "a and a and ..." builds a chain one level deeper per term, which the
 * parenthesis depth limit does not see: the term count is bounded instead,
 * so 100,000 terms are an error, not a stack overflow. */
static void
test_many_terms (void **state)
{
  g_autoptr (GString) text = g_string_new ("a");
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbExpression) expression = NULL;

  for (int i = 1; i < 100000; i++)
    g_string_append (text, " and a");
  expression = cmdb_expression_parse (text->str, NULL, &error);
  assert_null (expression);
  assert_non_null (strstr (error->message, "more than 512 terms and operators"));
  g_clear_error (&error);
  g_string_truncate (text, 0);
  for (int i = 0; i < 100000; i++)
    g_string_append (text, "not ");
  g_string_append (text, "a");
  expression = cmdb_expression_parse (text->str, NULL, &error);
  assert_null (expression);
}

/* Names are checked when the schema loads: unknown and later names are
 * located errors, and the expression is then treated as absent. */
static void
test_names_at_load (void **state)
{
  const char *text = "ui_elements:\n"
                     "  - key: a\n"
                     "    type: checkbox\n"
                     "    visible_if: \"b == true\"\n"
                     "  - key: b\n"
                     "    type: checkbox\n"
                     "    visible_if: \"a == true and nope\"\n"
                     "    validation:\n"
                     "      required_if: \"b\"\n"
                     "  - key: c\n"
                     "    type: checkbox\n"
                     "    visible_if: \"a ==\"\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbYamlDocument) document = cmdb_yaml_document_parse ("names.yaml", text, -1, &error);
  g_autoptr (CmdbSchema) schema = NULL;
  GPtrArray *problems;
  const char *expected[] = {
    "names.yaml:4:17: error: [a] visible_if: 'b' is defined at line 5, not before this element; "
    "an expression can only name earlier elements (offset 0)",
    "names.yaml:7:17: error: [b] visible_if: unknown name 'nope' (offset 14)",
    "names.yaml:9:20: error: [b] required_if: 'b' is defined at line 5, not before this element; "
    "an expression can only name earlier elements (offset 0)",
    "names.yaml:12:17: error: [c] visible_if: expected a value, found end of expression at offset "
    "4",
  };

  assert_non_null (document);
  schema = cmdb_schema_new_from_document (document, &error);
  assert_non_null (schema);
  problems = cmdb_schema_get_problems (schema);
  assert_int_equal (problems->len, G_N_ELEMENTS (expected));
  for (guint i = 0; i < problems->len; i++)
    {
      g_autofree char *line = cmdb_problem_to_string (g_ptr_array_index (problems, i));

      assert_string_equal (line, expected[i]);
    }
  assert_true (cmdb_schema_has_errors (schema));
  assert_null (cmdb_schema_lookup (schema, "a")->visible_if);
  assert_null (cmdb_schema_lookup (schema, "b")->validation.required_if);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_precedence),    cmocka_unit_test (test_literals),
    cmocka_unit_test (test_semantics),     cmocka_unit_test (test_errors),
    cmocka_unit_test (test_deep_nesting),  cmocka_unit_test (test_many_terms),
    cmocka_unit_test (test_names_at_load),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
