using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Playground.Web.Accounts.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class LessonProgress : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Progress",
                columns: table => new
                {
                    PersonId = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    LessonId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Step = table.Column<int>(type: "integer", nullable: false),
                    PassedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Failures = table.Column<int>(type: "integer", nullable: false),
                    LastCheckedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Progress", x => new { x.PersonId, x.LessonId, x.Step });
                });

            migrationBuilder.CreateIndex(
                name: "IX_Progress_PersonId_LastCheckedAt",
                table: "Progress",
                columns: new[] { "PersonId", "LastCheckedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Progress");
        }
    }
}
