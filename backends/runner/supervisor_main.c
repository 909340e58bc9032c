/*
 * kft-supervisor: owns one local job (`run JOBDIR`), or fetches an
 * initializer's data (`initialize dataset|model URI DEST`). Started by
 * kft_train through kft__proc_spawn; see backends/runner/supervisor.c.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "internal.h"

int kft__supervisor_main(int argc, char **argv);

int main(int argc, char **argv)
{
	return kft__supervisor_main(argc, argv);
}
