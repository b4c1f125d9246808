#define G_LOG_DOMAIN "cmdb-fuzz"

/* libFuzzer harness: the visible_if/required_if expression parser and
 * evaluator, each name bound to a value chosen from its first letter. */

#include "cmdbuilder.h"
#include "schema/cmdb-expression-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static JsonNode *values[4];

static JsonNode *
lookup (const char *name, gpointer user_data)
{
  return values[(guchar) name[0] % G_N_ELEMENTS (values)];
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (CmdbExpression) expression = NULL;

  if (values[0] == NULL)
    {
      values[0] = json_node_init_int (json_node_alloc (), 3);
      values[1] = json_node_init_string (json_node_alloc (), "dbnet");
      values[2] = json_node_init_boolean (json_node_alloc (), TRUE);
      values[3] = NULL;
    }
  expression = cmdb_expression_parse (text, NULL, NULL);
  if (expression != NULL)
    (void) cmdb_expression_evaluate (expression, lookup, NULL);
  return 0;
}
