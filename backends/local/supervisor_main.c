/* kft-supervisor: owns one local job. PLACEHOLDER until the local backend lands. */
#include "internal.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	fprintf(stderr, "kft-supervisor: not implemented yet\n");
	return 1;
}
