#define G_LOG_DOMAIN "cmdb-test"

/* The YAML tree: scalar typing (YAML 1.2 core schema), styles, nesting,
 * locations, lookups, aliases and the conversion to JSON. */

#include "test-util.h"
#include "cmdbuilder.h"

#include <math.h>

static CmdbYamlDocument *
parse (const char *text)
{
  g_autoptr (GError) error = NULL;
  CmdbYamlDocument *document = cmdb_yaml_document_parse ("inline.yaml", text, -1, &error);

  if (error != NULL)
    fail_msg ("%s", error->message);
  assert_non_null (document);
  return document;
}

static const CmdbYamlNode *
child (const CmdbYamlNode *node, const char *key)
{
  const CmdbYamlNode *value = cmdb_yaml_node_lookup (node, key);

  if (value == NULL)
    fail_msg ("no key '%s'", key);
  return value;
}

static void
assert_type (const CmdbYamlNode *root, const char *key, CmdbYamlScalarType type)
{
  const CmdbYamlNode *value = child (root, key);

  assert_int_equal (cmdb_yaml_node_get_kind (value), CMDB_YAML_NODE_SCALAR);
  if (cmdb_yaml_node_get_scalar_type (value) != type)
    fail_msg ("'%s: %s' has type %d, expected %d", key, cmdb_yaml_node_get_scalar (value),
              cmdb_yaml_node_get_scalar_type (value), type);
}

static void
assert_int_value (const CmdbYamlNode *root, const char *key, gint64 expected)
{
  gint64 value = 0;

  assert_type (root, key, CMDB_YAML_SCALAR_INT);
  assert_true (cmdb_yaml_node_get_int (child (root, key), &value));
  assert_int_equal (value, expected);
}

static void
assert_double_value (const CmdbYamlNode *root, const char *key, double expected)
{
  double value = 0;

  assert_type (root, key, CMDB_YAML_SCALAR_FLOAT);
  assert_true (cmdb_yaml_node_get_double (child (root, key), &value));
  assert_true (value == expected);
}

/* Plain scalars by the YAML 1.2 core schema, which is what Hydra configs
 * mean: 1e-5 is a float, yes is a string. */
static void
test_core_schema_types (void **state)
{
  g_autoptr (CmdbYamlDocument) document = parse ("null_tilde: ~\n"
                                                 "null_word: null\n"
                                                 "null_title: Null\n"
                                                 "null_upper: NULL\n"
                                                 "null_empty:\n"
                                                 "bool_true: true\n"
                                                 "bool_title: True\n"
                                                 "bool_false: FALSE\n"
                                                 "yes_word: yes\n"
                                                 "off_word: off\n"
                                                 "int: 32\n"
                                                 "negative: -7\n"
                                                 "positive: +3\n"
                                                 "leading_zero: 010\n"
                                                 "octal: 0o17\n"
                                                 "hex: 0x1F\n"
                                                 "exponent: 1e-5\n"
                                                 "decimal_exponent: 1.0e-3\n"
                                                 "trailing_dot: 1.\n"
                                                 "leading_dot: .5\n"
                                                 "big: 99999999999999999999\n"
                                                 "infinity: .inf\n"
                                                 "negative_infinity: -.Inf\n"
                                                 "not_a_number: .NaN\n"
                                                 "underscores: 1_000\n"
                                                 "binary: 0b101\n"
                                                 "dot: .\n"
                                                 "exponent_only: e5\n"
                                                 "version: 1.2.3\n"
                                                 "date: 2024-01-01\n");
  const CmdbYamlNode *root = cmdb_yaml_document_get_root (document);
  gboolean flag = FALSE;
  double number = 0;

  assert_type (root, "null_tilde", CMDB_YAML_SCALAR_NULL);
  assert_type (root, "null_word", CMDB_YAML_SCALAR_NULL);
  assert_type (root, "null_title", CMDB_YAML_SCALAR_NULL);
  assert_type (root, "null_upper", CMDB_YAML_SCALAR_NULL);
  assert_type (root, "null_empty", CMDB_YAML_SCALAR_NULL);
  assert_true (cmdb_yaml_node_is_null (child (root, "null_empty")));
  assert_string_equal (cmdb_yaml_node_get_scalar (child (root, "null_empty")), "");

  assert_true (cmdb_yaml_node_get_bool (child (root, "bool_true"), &flag));
  assert_true (flag);
  assert_true (cmdb_yaml_node_get_bool (child (root, "bool_title"), &flag));
  assert_true (flag);
  assert_true (cmdb_yaml_node_get_bool (child (root, "bool_false"), &flag));
  assert_false (flag);
  assert_type (root, "yes_word", CMDB_YAML_SCALAR_STRING);
  assert_type (root, "off_word", CMDB_YAML_SCALAR_STRING);
  assert_false (cmdb_yaml_node_get_bool (child (root, "yes_word"), &flag));

  assert_int_value (root, "int", 32);
  assert_int_value (root, "negative", -7);
  assert_int_value (root, "positive", 3);
  assert_int_value (root, "leading_zero", 10);
  assert_int_value (root, "octal", 15);
  assert_int_value (root, "hex", 31);
  /* An int is also a double; a float is not an int. */
  assert_true (cmdb_yaml_node_get_double (child (root, "int"), &number));
  assert_true (number == 32.0);
  assert_false (cmdb_yaml_node_get_int (child (root, "exponent"), NULL));

  assert_double_value (root, "exponent", 1e-5);
  assert_double_value (root, "decimal_exponent", 1.0e-3);
  assert_double_value (root, "trailing_dot", 1.0);
  assert_double_value (root, "leading_dot", 0.5);
  /* Too big for an int64: kept as the nearest double. */
  assert_double_value (root, "big", 1e20);
  assert_double_value (root, "infinity", INFINITY);
  assert_double_value (root, "negative_infinity", -INFINITY);
  assert_type (root, "not_a_number", CMDB_YAML_SCALAR_FLOAT);
  assert_true (cmdb_yaml_node_get_double (child (root, "not_a_number"), &number));
  assert_true (isnan (number));

  assert_type (root, "underscores", CMDB_YAML_SCALAR_STRING);
  assert_type (root, "binary", CMDB_YAML_SCALAR_STRING);
  assert_type (root, "dot", CMDB_YAML_SCALAR_STRING);
  assert_type (root, "exponent_only", CMDB_YAML_SCALAR_STRING);
  assert_type (root, "version", CMDB_YAML_SCALAR_STRING);
  assert_type (root, "date", CMDB_YAML_SCALAR_STRING);
  assert_false (cmdb_yaml_node_get_double (child (root, "version"), &number));
}

/* Quoted and block scalars are strings whatever they spell; explicit
 * standard tags are honoured. */
static void
test_styles (void **state)
{
  g_autoptr (CmdbYamlDocument) document = parse ("plain: 32\n"
                                                 "single: '32'\n"
                                                 "double: \"true\"\n"
                                                 "escaped: \"a\\tb\"\n"
                                                 "empty_quoted: ''\n"
                                                 "literal: |\n"
                                                 "  line one\n"
                                                 "  line two\n"
                                                 "folded: >\n"
                                                 "  folded\n"
                                                 "  text\n"
                                                 "tagged_string: !!str 12\n"
                                                 "tagged_float: !!float 3\n"
                                                 "multi word: plain words here\n");
  const CmdbYamlNode *root = cmdb_yaml_document_get_root (document);
  double number = 0;

  assert_int_equal (cmdb_yaml_node_get_scalar_style (child (root, "plain")),
                    CMDB_YAML_SCALAR_PLAIN);
  for (const char *const *key = (const char *const[]){ "single", "double", "escaped",
                                                       "empty_quoted", "literal", "folded", NULL };
       *key != NULL; key++)
    {
      assert_int_equal (cmdb_yaml_node_get_scalar_style (child (root, *key)),
                        CMDB_YAML_SCALAR_QUOTED);
      assert_type (root, *key, CMDB_YAML_SCALAR_STRING);
    }
  assert_string_equal (cmdb_yaml_node_get_scalar (child (root, "single")), "32");
  assert_string_equal (cmdb_yaml_node_get_scalar (child (root, "escaped")), "a\tb");
  assert_false (cmdb_yaml_node_is_null (child (root, "empty_quoted")));
  assert_string_equal (cmdb_yaml_node_get_scalar (child (root, "literal")), "line one\nline two\n");
  assert_string_equal (cmdb_yaml_node_get_scalar (child (root, "folded")), "folded text\n");
  assert_type (root, "tagged_string", CMDB_YAML_SCALAR_STRING);
  assert_type (root, "tagged_float", CMDB_YAML_SCALAR_FLOAT);
  assert_true (cmdb_yaml_node_get_double (child (root, "tagged_float"), &number));
  assert_true (number == 3.0);
  assert_string_equal (cmdb_yaml_node_get_scalar (child (root, "multi word")), "plain words here");
}

/* Keys stay in file order; sequences keep their items; flow and block
 * styles give the same tree. */
static void
test_nesting (void **state)
{
  g_autoptr (CmdbYamlDocument) document = parse ("zeta: 1\n"
                                                 "alpha:\n"
                                                 "  inner: {b: 2, a: 1}\n"
                                                 "  list:\n"
                                                 "    - first\n"
                                                 "    - [x, y]\n"
                                                 "    - name: third\n"
                                                 "  empty_map: {}\n"
                                                 "  empty_list: []\n"
                                                 "middle: last\n");
  const CmdbYamlNode *root = cmdb_yaml_document_get_root (document);
  const CmdbYamlNode *alpha = child (root, "alpha");
  const CmdbYamlNode *list = child (alpha, "list");
  const CmdbYamlNode *inner = child (alpha, "inner");

  assert_int_equal (cmdb_yaml_node_get_kind (root), CMDB_YAML_NODE_MAPPING);
  assert_int_equal (cmdb_yaml_node_get_n_children (root), 3);
  assert_string_equal (cmdb_yaml_node_get_scalar (cmdb_yaml_node_get_key_node (root, 0)), "zeta");
  assert_string_equal (cmdb_yaml_node_get_scalar (cmdb_yaml_node_get_key_node (root, 1)), "alpha");
  assert_string_equal (cmdb_yaml_node_get_scalar (cmdb_yaml_node_get_key_node (root, 2)), "middle");
  assert_ptr_equal (cmdb_yaml_node_get_value_node (root, 1), alpha);

  assert_string_equal (cmdb_yaml_node_get_scalar (cmdb_yaml_node_get_key_node (inner, 0)), "b");
  assert_string_equal (cmdb_yaml_node_get_scalar (cmdb_yaml_node_get_key_node (inner, 1)), "a");

  assert_int_equal (cmdb_yaml_node_get_kind (list), CMDB_YAML_NODE_SEQUENCE);
  assert_int_equal (cmdb_yaml_node_get_n_children (list), 3);
  assert_string_equal (cmdb_yaml_node_get_scalar (cmdb_yaml_node_get_item (list, 0)), "first");
  assert_int_equal (cmdb_yaml_node_get_n_children (cmdb_yaml_node_get_item (list, 1)), 2);
  assert_string_equal (
      cmdb_yaml_node_get_scalar (cmdb_yaml_node_lookup (cmdb_yaml_node_get_item (list, 2), "name")),
      "third");
  assert_int_equal (cmdb_yaml_node_get_n_children (child (alpha, "empty_map")), 0);
  assert_int_equal (cmdb_yaml_node_get_kind (child (alpha, "empty_map")), CMDB_YAML_NODE_MAPPING);
  assert_int_equal (cmdb_yaml_node_get_kind (child (alpha, "empty_list")), CMDB_YAML_NODE_SEQUENCE);
  /* Lookups on a sequence or a scalar find nothing. */
  assert_null (cmdb_yaml_node_lookup (list, "first"));
  assert_null (cmdb_yaml_node_lookup (child (root, "zeta"), "x"));
  assert_int_equal (cmdb_yaml_node_get_n_children (child (root, "zeta")), 0);
}

static void
assert_location (const CmdbYamlNode *node, guint line, guint column)
{
  g_autofree char *location = cmdb_yaml_node_dup_location (node);
  g_autofree char *expected = g_strdup_printf ("inline.yaml:%u:%u", line, column);

  assert_string_equal (location, expected);
  assert_int_equal (cmdb_yaml_node_get_line (node), line);
  assert_int_equal (cmdb_yaml_node_get_column (node), column);
}

/* 1-based lines and columns of the first character of each node. */
static void
test_locations (void **state)
{
  g_autoptr (CmdbYamlDocument) document = parse ("# comment\n"
                                                 "model:\n"
                                                 "  encoder:\n"
                                                 "    name: resnet18\n"
                                                 "  sizes: [32, 64]\n"
                                                 "  heads:\n"
                                                 "  - kind: db\n"
                                                 "    text: \"quoted\"\n");
  const CmdbYamlNode *root = cmdb_yaml_document_get_root (document);
  const CmdbYamlNode *model = child (root, "model");
  const CmdbYamlNode *sizes = child (model, "sizes");
  const CmdbYamlNode *heads = child (model, "heads");

  assert_location (root, 2, 1);
  assert_location (cmdb_yaml_node_get_key_node (root, 0), 2, 1);
  assert_location (model, 3, 3);
  assert_location (cmdb_yaml_node_lookup_path (root, "model.encoder.name"), 4, 11);
  assert_location (sizes, 5, 10);
  assert_location (cmdb_yaml_node_get_item (sizes, 1), 5, 15);
  assert_location (heads, 7, 3);
  assert_location (cmdb_yaml_node_get_item (heads, 0), 7, 5);
  assert_location (child (cmdb_yaml_node_get_item (heads, 0), "text"), 8, 11);
  assert_string_equal (cmdb_yaml_node_get_path (sizes), "inline.yaml");
}

static void
test_lookup_path (void **state)
{
  g_autoptr (CmdbYamlDocument) document = parse ("a:\n"
                                                 "  b:\n"
                                                 "    c: deep\n"
                                                 "  list: [1]\n"
                                                 "  '': empty key\n"
                                                 "dotted.key: no\n");
  const CmdbYamlNode *root = cmdb_yaml_document_get_root (document);

  assert_string_equal (cmdb_yaml_node_get_scalar (cmdb_yaml_node_lookup_path (root, "a.b.c")),
                       "deep");
  assert_ptr_equal (cmdb_yaml_node_lookup_path (root, "a.b"),
                    cmdb_yaml_node_lookup (child (root, "a"), "b"));
  assert_ptr_equal (cmdb_yaml_node_lookup_path (root, ""), root);
  assert_null (cmdb_yaml_node_lookup_path (root, "a.x.c"));
  assert_null (cmdb_yaml_node_lookup_path (root, "a.b.c.d"));
  assert_null (cmdb_yaml_node_lookup_path (root, "a.list.0"));
  assert_null (cmdb_yaml_node_lookup_path (root, "a.bc"));
  assert_null (cmdb_yaml_node_lookup_path (root, "a.b."));
  /* A segment is a whole key: "dotted.key" cannot be reached by path. */
  assert_null (cmdb_yaml_node_lookup_path (root, "dotted.key"));
  assert_non_null (cmdb_yaml_node_lookup (root, "dotted.key"));
  assert_string_equal (cmdb_yaml_node_get_scalar (cmdb_yaml_node_lookup_path (root, "a.")),
                       "empty key");
}

/* Mappings past a few keys are indexed; every key must still be found and
 * misses must still miss. */
static void
test_large_mapping (void **state)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (CmdbYamlDocument) document = NULL;
  const CmdbYamlNode *root;

  for (guint i = 0; i < 200; i++)
    g_string_append_printf (text, "key%u: %u\n", i, i);
  document = parse (text->str);
  root = cmdb_yaml_document_get_root (document);
  assert_int_equal (cmdb_yaml_node_get_n_children (root), 200);
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *key = g_strdup_printf ("key%u", i);
      gint64 value = -1;

      assert_true (cmdb_yaml_node_get_int (child (root, key), &value));
      assert_int_equal (value, i);
      assert_string_equal (cmdb_yaml_node_get_scalar (cmdb_yaml_node_get_key_node (root, i)), key);
    }
  assert_null (cmdb_yaml_node_lookup (root, "key200"));
  assert_null (cmdb_yaml_node_lookup (root, "key"));
  assert_null (cmdb_yaml_node_lookup_path (root, "key1.x"));
  assert_non_null (cmdb_yaml_node_lookup_path (root, "key199"));
}

/* An alias is the anchored node itself. */
static void
test_aliases (void **state)
{
  g_autoptr (CmdbYamlDocument) document = parse ("defaults: &defaults\n"
                                                 "  lr: 0.001\n"
                                                 "  betas: [0.9, 0.999]\n"
                                                 "adam: *defaults\n"
                                                 "name: &name adamw\n"
                                                 "label: *name\n"
                                                 "*name : key from alias\n");
  const CmdbYamlNode *root = cmdb_yaml_document_get_root (document);
  double lr = 0;

  assert_ptr_equal (child (root, "adam"), child (root, "defaults"));
  assert_true (cmdb_yaml_node_get_double (cmdb_yaml_node_lookup_path (root, "adam.lr"), &lr));
  assert_true (lr == 0.001);
  assert_string_equal (cmdb_yaml_node_get_scalar (child (root, "label")), "adamw");
  assert_string_equal (cmdb_yaml_node_get_scalar (child (root, "adamw")), "key from alias");
}

static void
test_to_json (void **state)
{
  g_autoptr (CmdbYamlDocument) document = parse ("name: dbnet\n"
                                                 "epochs: 32\n"
                                                 "lr: 1e-5\n"
                                                 "quoted: '32'\n"
                                                 "flag: false\n"
                                                 "nothing: ~\n"
                                                 "big: -9223372036854775808\n"
                                                 "infinite: .inf\n"
                                                 "list: [1, two, {three: 3}]\n"
                                                 "z_last: {b: 1, a: 2}\n");
  const CmdbYamlNode *root = cmdb_yaml_document_get_root (document);
  g_autoptr (JsonNode) json = cmdb_yaml_node_to_json (root);
  JsonObject *object = json_node_get_object (json);
  g_autoptr (JsonNode) without_float = NULL;
  g_autofree char *text = NULL;

  assert_int_equal (json_node_get_value_type (json_object_get_member (object, "epochs")),
                    G_TYPE_INT64);
  assert_int_equal (json_object_get_int_member (object, "epochs"), 32);
  assert_int_equal (json_node_get_value_type (json_object_get_member (object, "lr")),
                    G_TYPE_DOUBLE);
  assert_true (json_object_get_double_member (object, "lr") == 1e-5);
  assert_int_equal (json_node_get_value_type (json_object_get_member (object, "quoted")),
                    G_TYPE_STRING);
  assert_int_equal (json_object_get_int_member (object, "big"), G_MININT64);
  /* JSON has no infinity: the YAML spelling is kept as a string. */
  assert_string_equal (json_object_get_string_member (object, "infinite"), ".inf");

  json_object_remove_member (object, "lr");
  text = json_to_string (json, FALSE);
  assert_string_equal (text, "{\"name\":\"dbnet\",\"epochs\":32,\"quoted\":\"32\",\"flag\":false,"
                             "\"nothing\":null,\"big\":-9223372036854775808,\"infinite\":\".inf\","
                             "\"list\":[1,\"two\",{\"three\":3}],\"z_last\":{\"b\":1,\"a\":2}}");
}

/* No document at all gives a NULL root; "---" alone is a null scalar. */
static void
test_empty_documents (void **state)
{
  static const char *const empty[] = { "", "\n\n", "# only a comment\n" };

  for (gsize i = 0; i < G_N_ELEMENTS (empty); i++)
    {
      g_autoptr (CmdbYamlDocument) document = parse (empty[i]);

      assert_null (cmdb_yaml_document_get_root (document));
      assert_string_equal (cmdb_yaml_document_get_path (document), "inline.yaml");
    }
  {
    g_autoptr (CmdbYamlDocument) document = parse ("---\n");

    assert_true (cmdb_yaml_node_is_null (cmdb_yaml_document_get_root (document)));
  }
  {
    g_autoptr (CmdbYamlDocument) document = parse ("--- 42\n...\n");
    gint64 value = 0;

    assert_true (cmdb_yaml_node_get_int (cmdb_yaml_document_get_root (document), &value));
    assert_int_equal (value, 42);
  }
}

/* Loading a file: locations name the path; the document outlives nothing
 * but its own references. */
static void
test_load_file (void **state)
{
  g_autofree char *tmp = cmdb_test_make_tempdir ();
  g_autofree char *path = cmdb_test_write_file (tmp, "conf/model.yaml", "model:\n  lr: 0.1\n");
  g_autoptr (GError) error = NULL;
  CmdbYamlDocument *document = cmdb_yaml_document_load (path, &error);
  const CmdbYamlNode *lr;
  g_autofree char *location = NULL;
  g_autofree char *expected = g_strdup_printf ("%s:2:7", path);

  assert_null (error);
  assert_non_null (document);
  assert_string_equal (cmdb_yaml_document_get_path (document), path);
  lr = cmdb_yaml_node_lookup_path (cmdb_yaml_document_get_root (document), "model.lr");
  location = cmdb_yaml_node_dup_location (lr);
  assert_string_equal (location, expected);
  assert_string_equal (cmdb_yaml_node_get_path (lr), path);
  assert_true (cmdb_yaml_document_get_size (document) > 0);

  /* A second reference keeps the nodes alive after the first is gone. */
  cmdb_yaml_document_ref (document);
  cmdb_yaml_document_unref (document);
  assert_string_equal (cmdb_yaml_node_get_scalar (lr), "0.1");
  cmdb_yaml_document_unref (document);
  cmdb_test_remove_tree (tmp);
}

/* Text with an explicit length may hold bytes past it. */
static void
test_explicit_length (void **state)
{
  static const char text[] = "a: 1\nb: [unterminated";
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbYamlDocument) document = cmdb_yaml_document_parse ("inline.yaml", text, 5, &error);

  assert_null (error);
  assert_int_equal (cmdb_yaml_node_get_n_children (cmdb_yaml_document_get_root (document)), 1);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_core_schema_types), cmocka_unit_test (test_styles),
    cmocka_unit_test (test_nesting),           cmocka_unit_test (test_locations),
    cmocka_unit_test (test_lookup_path),       cmocka_unit_test (test_large_mapping),
    cmocka_unit_test (test_aliases),           cmocka_unit_test (test_to_json),
    cmocka_unit_test (test_empty_documents),   cmocka_unit_test (test_load_file),
    cmocka_unit_test (test_explicit_length),
  };

  return cmocka_run_group_tests_name ("yaml-parse", tests, NULL, NULL);
}
