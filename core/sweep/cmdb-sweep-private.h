/* cmdb-sweep-private.h: sweep values and their cartesian product
 * (docs/sweeps.md, "Sweeps").
 *
 * A sweep field is written as Hydra writes a multirun override, and read by
 * our Hydra parser: `KEY=a,b,c`, `KEY=choice(a,b)` or
 * `KEY=range(start,stop,step)`. KEY is a form key (not an override path):
 * each value goes through the form like a `--set`. Several sweep fields
 * form their cartesian product, the first field varying slowest, capped by
 * a limit ([sweep] limit, default 100) against accidents.
 */
#pragma once

#include "base/cmdb-private-export.h"

#include "cmdbuilder.h"

G_BEGIN_DECLS

#define CMDB_SWEEP_ERROR (cmdb_sweep_error_quark ())
GQuark cmdb_sweep_error_quark (void);

typedef enum
{
  CMDB_SWEEP_ERROR_PARSE, /* not KEY=VALUES, or values that cannot be listed */
  CMDB_SWEEP_ERROR_LIMIT, /* more members than the limit */
} CmdbSweepError;

/* The default of [sweep] limit. */
#define CMDB_SWEEP_DEFAULT_LIMIT 100

/* One sweep field: a form key and the values it takes, in order. */
typedef struct
{
  char *key;
  GPtrArray *values; /* (element-type JsonNode) */
} CmdbSweepAxis;

/* (transfer full): the field @spec ("KEY=a,b,c", "KEY=range(1,4)") names,
 * or NULL with CMDB_SWEEP_ERROR_PARSE naming @spec (and, from the Hydra
 * parser, the column). A single value is a field of one value. */
#define cmdb_sweep_axis_parse _cmdb_sweep_axis_parse
CMDB_PRIVATE_EXPORT
CmdbSweepAxis *cmdb_sweep_axis_parse (const char *spec, GError **error);
#define cmdb_sweep_axis_free _cmdb_sweep_axis_free
CMDB_PRIVATE_EXPORT
void cmdb_sweep_axis_free (CmdbSweepAxis *axis);
/* (transfer full): a value as a `--set` takes it (cmdb_format_scalar). */
#define cmdb_sweep_value_text _cmdb_sweep_value_text
CMDB_PRIVATE_EXPORT
char *cmdb_sweep_value_text (JsonNode *value);

/* The number of members of @axes (element-type CmdbSweepAxis), saturating
 * at G_MAXUINT64. */
guint64 cmdb_sweep_count (GPtrArray *axes);
/* (transfer full) (element-type JsonObject): each member's values, key ->
 * value, the first axis varying slowest; NULL with CMDB_SWEEP_ERROR_LIMIT
 * when there are more than @limit. A key given twice is a parse error. */
#define cmdb_sweep_expand _cmdb_sweep_expand
CMDB_PRIVATE_EXPORT
GPtrArray *cmdb_sweep_expand (GPtrArray *axes, guint limit, GError **error);
/* [sweep] limit of @config (default CMDB_SWEEP_DEFAULT_LIMIT). */
#define cmdb_sweep_get_limit _cmdb_sweep_get_limit
CMDB_PRIVATE_EXPORT
guint cmdb_sweep_get_limit (CmdbConfig *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbSweepAxis, cmdb_sweep_axis_free)

G_END_DECLS
