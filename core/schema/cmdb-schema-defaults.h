/* cmdb-schema-defaults.h: the schema format's own defaults (not
 * installed). These are the format's, not a page's: an element that does
 * not say which earlier element names the architecture or the optimizer
 * reads these (docs/schema-format.md, architecture_key and optimizer_key). */
#pragma once

#define CMDB_SCHEMA_DEFAULT_ARCHITECTURE_KEY "architecture"
#define CMDB_SCHEMA_DEFAULT_OPTIMIZER_KEY "optimizer"
