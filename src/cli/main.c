/* xcelsior: command-line client of the Xcelsior API (domain §27). */
#include "cli/cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
