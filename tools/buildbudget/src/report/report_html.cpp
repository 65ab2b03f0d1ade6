#include "report/report_html.hpp"

namespace buildbudget::report {

// A placeholder until the page lands: the report's JSON in a <pre>.
std::string report_html(const nlohmann::ordered_json& report) {
    std::string dumped = report.dump(2);
    std::string escaped;
    for (const char c : dumped) {
        if (c == '<') escaped += "&lt;";
        else if (c == '&') escaped += "&amp;";
        else escaped += c;
    }
    return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>BuildBudget report</title></head>"
           "<body><pre>" + escaped + "</pre></body></html>\n";
}

}  // namespace buildbudget::report
