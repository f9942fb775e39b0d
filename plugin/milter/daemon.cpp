// daemon.cpp - PLACEHOLDER so the program links while the daemon is written; replaced in this session.
#include "milter/daemon.hpp"

#include <iostream>

namespace mv::milter {

int daemon_main(const std::vector<std::string>&) {
    std::cerr << "milter-verdict: the daemon is not implemented yet\n";
    return 1;
}

}  // namespace mv::milter
