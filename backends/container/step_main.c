/*
 * kft-container-step: runs one container plan step for kft-supervisor (see
 * backends/container/step.c).
 * SPDX-License-Identifier: Apache-2.0
 */
int kft__container_step_main(int argc, char **argv);

int main(int argc, char **argv)
{
	return kft__container_step_main(argc, argv);
}
