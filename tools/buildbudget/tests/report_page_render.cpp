// A test-only command for tests/test_report_page.py: renders the page of a report.json the test
// wrote (report::report_html()), so the page's drawing is checked on exact, hand-made reports
// (a job the OOM killer ended, a module over its limit) whatever build produced them.
//   buildbudget_report_page <report.json> <report.html>
#include "report/report_html.hpp"

#include <nlohmann/json.hpp>

#include <exception>
#include <fstream>
#include <iostream>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: buildbudget_report_page <report.json> <report.html>\n";
        return 2;
    }
    try {
        std::ifstream in(argv[1], std::ios::binary);
        if (!in) throw std::runtime_error(std::string("cannot read ") + argv[1]);
        const auto report = nlohmann::ordered_json::parse(in);
        std::ofstream out(argv[2], std::ios::binary);
        out << buildbudget::report::report_html(report);
        if (!out.flush()) throw std::runtime_error(std::string("cannot write ") + argv[2]);
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
