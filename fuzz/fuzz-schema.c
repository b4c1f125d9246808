#define G_LOG_DOMAIN "cmdb-fuzz"

/* libFuzzer harness: the schema loader over any YAML document. */

#include "cmdbuilder.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbYamlDocument) document
      = cmdb_yaml_document_parse ("fuzz.yaml", (const char *) data, (gssize) size, NULL);
  g_autoptr (CmdbSchema) schema = NULL;

  if (document == NULL)
    return 0;
  schema = cmdb_schema_new_from_document (document, &error);
  if ((schema == NULL) == (error == NULL))
    g_error ("the loader returned %s with %s", schema != NULL ? "a schema" : "nothing",
             error != NULL ? "an error" : "no error");
  return 0;
}
