#define G_LOG_DOMAIN "cmdb-fuzz"

/* libFuzzer harness: the Hydra override reader, and the quoting round trip
 * (a string quoted by cmdb_hydra_quote_string reads back as itself). */

#include "cmdbuilder.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (CmdbHydraOverride) parsed = NULL;
  g_autoptr (CmdbHydraOverride) again = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *token = NULL;
  g_autoptr (GError) error = NULL;

  parsed = cmdb_hydra_override_parse (text, NULL);
  if (parsed != NULL && parsed->value == NULL)
    g_error ("an override without a value node");

  /* The round trip is defined for text: valid UTF-8 without NUL. */
  if (strlen (text) != size || !g_utf8_validate (text, -1, NULL))
    return 0;
  quoted = cmdb_hydra_quote_string (text);
  token = g_strconcat ("key=", quoted, NULL);
  again = cmdb_hydra_override_parse (token, &error);
  if (again == NULL)
    g_error ("%s does not read back: %s", token, error->message);
  if (!JSON_NODE_HOLDS_VALUE (again->value)
      || json_node_get_value_type (again->value) != G_TYPE_STRING
      || strcmp (json_node_get_string (again->value), text) != 0)
    g_error ("%s reads back as another value", token);
  return 0;
}
