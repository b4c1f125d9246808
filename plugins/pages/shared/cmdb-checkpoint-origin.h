/* cmdb-checkpoint-origin.h: what a checkpoint says about the model that
 * made it, for the bundled Test and Predict pages (their infer_values). */
#pragma once

#include <cmdbuilder/cmdbuilder.h>

G_BEGIN_DECLS

/* (transfer full) (nullable): what made the checkpoint in @values'
 * checkpoint_path: {architecture, decoder, encoder, head, loss} as the
 * Train run that wrote it recorded them (the run history: the newest run
 * of its experiment directory older than the file; a run that resumed
 * from a checkpoint leads to that one's origin), else {architecture,
 * decoder, encoder} from the -<architecture>-<decoder>-<encoder> suffix
 * the Train page adds to the experiment name
 * (outputs/<experiment>/checkpoints/<file>), with an architecture of the
 * workspace's catalog. NULL when there is no checkpoint or neither says. */
JsonObject *cmdb_checkpoint_origin_infer (CmdbContext *context, JsonObject *values);

G_END_DECLS
